"""The account-lifecycle attacks' scenarios (attacks/lifecycle.py), one module each,
`<nn>_<name>.py`: its docstring is the threat (shown in the report); `ID`, `TITLE`,
`async run(ctx: LifecycleCtx) -> Cell`."""
from __future__ import annotations

from typing import Any

from authgate_demo.attacks.scenarios import short


def link_evidence(url: str) -> str:
    """A reset link for the evidence, its secret shortened."""
    head, _, rest = url.partition("/password/change/")
    secret, _, query = rest.partition("?")
    return f"{head}/password/change/{short(secret)}" + (f"?{query}" if query else "")


async def heading(page: Any) -> str:
    return (await page.locator("h1").first.inner_text()).strip()
