"""Browser E2E fixtures: real Chromium (Debian's, never a downloaded one) driven by Playwright's
async API in the test's own event loop, next to the in-process `Stack` (see harness.py).

Run: `.venv/bin/pytest tests/e2e` (about 1.5 minutes; `-m "not e2e"` leaves them out). Screenshots
of each workflow's key steps land in test-artifacts/<workflow>/<nn>-<step>.png (git-ignored), the
demo's measured readiness in test-artifacts/demo/readiness.txt."""
from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from authgate_demo.attacks.harness import CHROMIUM_ARGS  # the attack runner's flags: one list for both

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def chromium_path() -> str:
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium); browser E2E tests need a real browser")
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:  # pragma: no cover - the venv has it
        pytest.skip("Python playwright is not installed")
    return str(CHROMIUM)


@pytest.fixture
async def browser(chromium_path: str) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            await b.close()
