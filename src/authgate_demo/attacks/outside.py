"""The attacker's own HTTP client, outside any browser: a cookie jar of its own, and the demo's
`*.authgate.localhost` names sent to 127.0.0.1 (Python does not resolve `.localhost`; Chromium does).

Used by the factor matrix to log in as the victim with what the attacker holds: the FusionAuth
Login API (`POST /api/login`, then `POST /api/two-factor/login` after a 242) and the hosted login
page reached the way a browser reaches it (the Store's `/api/login` -> the IdP's form -> the
Store's callback), ending in the Store's session cookie and a read of the victim's cart.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from authgate_demo.attacks.scenarios import describe


class Loopback(httpx.AsyncBaseTransport):
    """Sends requests for *.localhost to 127.0.0.1, keeping the name in `Host` (and in the request
    the client sees, so its cookie jar files cookies under the real host)."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if (request.url.host or "").endswith(".localhost"):
            request = httpx.Request(request.method, request.url.copy_with(host="127.0.0.1"), headers=request.headers,
                                    stream=request.stream, extensions=request.extensions)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def client() -> httpx.AsyncClient:
    """A fresh attacker: its own jar, no redirects followed (each hop is evidence)."""
    return httpx.AsyncClient(transport=Loopback(), follow_redirects=False, timeout=15)


class _Forms(HTMLParser):
    """The forms of a page: action, method and every named input's value; plus the page's <h1>."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self.h1 = ""
        self._in_h1 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "method": a.get("method", "get").lower(), "fields": {}})
        elif tag in ("input", "button") and self.forms and a.get("name"):
            self.forms[-1]["fields"].setdefault(a["name"], a.get("value", ""))
        elif tag == "h1":
            self._in_h1 = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data: str) -> None:
        if self._in_h1:
            self.h1 += data.strip()


def forms_of(page: str) -> _Forms:
    parser = _Forms()
    parser.feed(page)
    return parser


def page_words(page: str, n: int = 160) -> str:
    """What a person reads on an HTML page (h1 and visible alert), for evidence."""
    parsed = forms_of(page)
    alert = next((a.strip() for a in re.findall(r'role="alert"[^>]*>([^<]*)', page) if a.strip()), "")
    text = parsed.h1 + (f" / {html.unescape(alert)}" if alert else "")
    return text[:n] or "(no heading)"


@dataclass
class Outcome:
    """Where an outside login ended: `session` (the Store set its session cookie and served the cart),
    `second-factor` (the IdP asked for another factor), or `refused`."""

    result: str
    evidence: list[str] = field(default_factory=list)
    page: str = ""  # the last HTML page, when the flow stopped at one
    form: dict[str, Any] | None = None


async def api_login(http: httpx.AsyncClient, idp_url: str, app_id: str, login_id: str, password: str) -> httpx.Response:
    return await http.post(f"{idp_url}/api/login", json={"loginId": login_id, "password": password, "applicationId": app_id})


async def follow_to_store(http: httpx.AsyncClient, response: httpx.Response, store_url: str, data_path: str,
                          evidence: list[str]) -> Outcome:
    """After the IdP answered a login form: if it redirected to the Store's callback, follow it and
    use the session (read the cart); otherwise report the page it showed."""
    location = response.headers.get("location", "")
    idp = f"{response.request.url.scheme}://{response.request.url.netloc.decode()}"
    for _ in range(5):  # the IdP's own redirects (to a second-factor page, say), as a browser follows them
        if response.status_code not in (302, 303) or location.startswith(store_url):
            break
        target = urljoin(str(response.request.url), location)
        if not target.startswith(idp):
            break
        evidence.append(f"{describe(response)} -> {urlsplit(target).path}")
        response = await http.get(target)
        location = response.headers.get("location", "")
    if response.status_code in (302, 303) and location.startswith(store_url):
        evidence.append(f"the IdP redirected to the Store's callback ({urlsplit(location).path}?code=…)")
        back = await http.get(location)
        evidence.append(f"{describe(back)}; Store cookies now: {sorted(c for c in http.cookies.keys() if c.startswith('app_'))}")
        cart = await http.get(store_url + data_path)
        evidence.append(f"with the Store session: {describe(cart)}")
        if cart.status_code == 200:
            owner = cart.json().get("owner", "?")
            evidence.append(f"the victim's cart (owner {owner}) read by the attacker")
            return Outcome("session", evidence)
        return Outcome("refused", evidence)
    if "text/html" in response.headers.get("content-type", ""):
        forms = forms_of(response.text)
        evidence.append(f"the IdP shows \"{page_words(response.text)}\" ({response.status_code})")
        form = next((f for f in forms.forms if f["method"] == "post"), None)
        has_password = form is not None and "password" in form["fields"]
        return Outcome("refused" if has_password or form is None else "second-factor", evidence, response.text, form)
    evidence.append(f"{describe(response)} {location[:80]}")
    return Outcome("refused", evidence)


async def hosted_login(http: httpx.AsyncClient, store_url: str, data_path: str, login_id: str, password: str) -> Outcome:
    """The hosted login, the way a browser walks it, but from the attacker's machine."""
    evidence: list[str] = []
    start = await http.get(store_url + "/api/login")
    authorize = start.headers.get("location", "")
    page = await http.get(authorize)
    forms = forms_of(page.text)
    form = next((f for f in forms.forms if "password" in f["fields"]), None)
    if page.status_code != 200 or form is None:
        raise RuntimeError(f"no login form at the IdP: {describe(page)}")
    evidence.append(f"GET the Store's /api/login -> the IdP's login form ({describe(page)})")
    fields = {**{k: html.unescape(v) for k, v in form["fields"].items()}, "loginId": login_id, "password": password}
    idp = f"{urlsplit(authorize).scheme}://{urlsplit(authorize).netloc}"
    answer = await http.post(urljoin(authorize, form["action"]), data=fields, headers={"Origin": idp})
    evidence.append(f"POST the form with the leaked password: {describe(answer)}")
    return await follow_to_store(http, answer, store_url, data_path, evidence)


async def submit_form(http: httpx.AsyncClient, base_url: str, form: dict[str, Any], values: dict[str, str]) -> httpx.Response:
    """Submit a form the IdP showed, with some fields filled (the others as the page set them)."""
    fields = {**{k: html.unescape(v) for k, v in form["fields"].items()}, **values}
    origin = f"{urlsplit(base_url).scheme}://{urlsplit(base_url).netloc}"
    return await http.post(urljoin(base_url + "/", form["action"]), data=fields, headers={"Origin": origin})
