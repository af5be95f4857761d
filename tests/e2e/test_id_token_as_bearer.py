"""Issue 15 finding 8 as the pen-tester ran it, against the real demo stack: log in to the Store's
application at the IdP's hosted page with `response_type=id_token token`, then present the
**id_token** to the Store's API as `Authorization: Bearer`. The id_token is signed by the IdP's
key, for the Store's audience; before access tokens were typed (`typ: at+jwt`, RFC 9068) the
Store answered 200/201. Plain HTTP: no browser is needed to send a header."""
from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from .harness import DEMO_EMAIL, DEMO_PASSWORD, STORE_ID, claims, running_stack

pytestmark = pytest.mark.e2e
_INPUT = re.compile(r"<input[^>]*>")


def _fields(page: str) -> dict[str, str]:
    out = {}
    for tag in _INPUT.findall(page):
        name, value = re.search(r'name="([^"]*)"', tag), re.search(r'value="([^"]*)"', tag)
        if name:
            out[name.group(1)] = html.unescape(value.group(1)) if value else ""
    return out


async def test_the_stores_api_refuses_an_id_token_as_bearer(tmp_path: Path) -> None:
    async with running_stack(tmp_path, "implicit-localstorage") as stack:
        async with stack.http("idp") as idp, stack.http("store") as store:
            params = {"client_id": STORE_ID, "redirect_uri": stack.cfg.store_url + "/oauth-redirect", "scope": "openid",
                      "response_type": "id_token token", "state": "s", "nonce": "n-1"}
            page = await idp.get("/oauth2/authorize", params=params)
            assert page.status_code == 200, page.text[:300]
            form = {**_fields(page.text), "loginId": DEMO_EMAIL, "password": DEMO_PASSWORD}
            done = await idp.post("/oauth2/authorize", data=form)
            assert done.status_code in (302, 303), done.text[:300]
            got = {k: v[0] for k, v in parse_qs(urlsplit(done.headers["location"]).fragment).items()}
            id_token, access_token = got["id_token"], got["access_token"]
            assert claims(id_token)["aud"] == STORE_ID and claims(id_token)["sub"] == claims(access_token)["sub"]
            for token, want in ((id_token, 401), (access_token, 200)):
                cart = await store.get("/api/load-shopping-cart", headers={"Authorization": f"Bearer {token}"})
                assert cart.status_code == want, (want, cart.text[:200])
            added = await store.post("/api/cart/items", json={"productId": "book"},
                                     headers={"Authorization": f"Bearer {id_token}"})
            assert added.status_code == 401
