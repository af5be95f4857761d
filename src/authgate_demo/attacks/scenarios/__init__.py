"""One module per attack, `<nn>_<name>.py`: its docstring is the threat (shown in the report);
`ID`, `TITLE`, `applies(mode) -> reason it does not apply | None`, `async run(ctx) -> Cell`."""
from __future__ import annotations

import base64
import json
import re
import time
from typing import Any
from urllib.parse import quote

JWT_RE = re.compile(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+")
IMPLICIT = ("implicit-localstorage", "implicit-cookie")
NATIVE = "native-refresh-cookie"
BACKEND = ("code-pkce-cookie", "bff")


def claims_of(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def jwts_in(value: Any) -> list[str]:
    return JWT_RE.findall(json.dumps(value) if not isinstance(value, str) else value)


def seconds_left(token: str) -> int:
    return int(claims_of(token)["exp"] - time.time())


def xss_url(base: str, payload_js: str) -> str:
    """The vulnerable demo build's reflected `?xss=` hook, carrying a <script>."""
    return f"{base}/?xss={quote('<script>' + payload_js + '</script>')}"


def short(token: str, n: int = 16) -> str:
    return token[:n] + "…" if len(token) > n else token


def describe(r: Any) -> str:
    """`METHOD path -> status detail` of an httpx response, for evidence."""
    try:
        body = r.json()
        detail = body.get("error_description") or body.get("error") or ""
        if not detail and body.get("fieldErrors"):
            detail = json.dumps(body["fieldErrors"])[:160]
    except ValueError:
        detail = ""
    return f"{r.request.method} {r.request.url.path} -> {r.status_code} {detail}".strip()


MITIGATION_NO_JS_TOKEN = {
    "implicit-cookie": "HttpOnly cookie after the cookie drop: the JWT is not in any storage script can read",
    "native-refresh-cookie": "HttpOnly cookies (the app's JWT cookie, the IdP's refresh_token cookie): nothing in script-readable storage",
    "code-pkce-cookie": "code + PKCE with HttpOnly cookies: JavaScript never holds a token",
    "bff": "BFF: the browser has only an opaque HttpOnly session id; tokens stay on the backend",
}


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    """`scenarios._02` etc.: a scenario module by number (their file names start with digits)."""
    if name.startswith("_") and name[1:].isdigit():
        import importlib
        import pkgutil

        for info in pkgutil.iter_modules(__path__):
            if info.name.startswith(name[1:] + "_"):
                return importlib.import_module(f"{__name__}.{info.name}")
    raise AttributeError(name)


async def log_out(page: Any) -> None:
    """The victim presses the app's "Log out". Where the app sends the browser on to the IdP's
    RP-initiated logout without an id_token_hint, the IdP asks first; the victim confirms."""
    await page.click("#logout-button")
    done = page.locator("#user-line").filter(has_text="not logged in")
    confirm = page.locator("form[action='/oauth2/logout'] button[type=submit]")
    await done.or_(confirm).first.wait_for()
    if await confirm.count():
        await confirm.click()
    await done.wait_for()
