"""`prompt`, `max_age`, `login_hint` (OpenID Connect Core 3.1.2.1).

Supported prompts: `none` (never show a page: error `login_required` without a session) and
`login` (always show the form). `none` combined with anything else is invalid.
"""
from __future__ import annotations

from authgate.errors import InvalidRequest
from authgate.oauth2.authorize.context import AuthorizeContext

SUPPORTED = ("none", "login")
MAX_AGE_LIMIT = 10**9


async def check_prompt(ctx: AuthorizeContext) -> None:
    values = frozenset(p for p in (ctx.params.get("prompt") or "").split(" ") if p)
    unsupported = values - set(SUPPORTED)
    if unsupported:
        raise InvalidRequest("The prompt value is not supported.", detail=f"prompt {sorted(unsupported)!r}"[:200])
    if "none" in values and len(values) > 1:
        raise InvalidRequest("prompt=none cannot be combined with other values.", detail="prompt none+other")
    ctx.prompt = values
    max_age = ctx.params.get("max_age")
    if max_age is not None:
        if not max_age.isdigit() or not max_age.isascii() or int(max_age) > MAX_AGE_LIMIT:
            raise InvalidRequest("max_age must be a non-negative integer.", detail=f"max_age {max_age[:20]!r}")
        ctx.max_age = int(max_age)
    ctx.login_hint = ctx.params.get("login_hint")
