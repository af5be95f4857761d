"""Done-criterion of issue 3: a standard relying party library (authlib) completes code + PKCE
against authgate using only discovery, with no authgate-specific code, and verifies the
id_token with the published JWKS.

authlib warns at import that its httpx integration and `authlib.jose` are deprecated; those
warnings are about authlib itself, so they are ignored here (and only here).
"""
from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from authgate.registry import Registry
from authgate.web.app import create_app
from tests.conftest import IDP
from tests.oauth2.conftest import FORUMS_CB, PASSWORD, SECRET, STORE_CB, World, form_fields

pytestmark = pytest.mark.filterwarnings("ignore::authlib.deprecate.AuthlibDeprecationWarning")


async def _browser_login(browser: httpx.AsyncClient, url: str) -> str:
    """What a person does in the browser: open the URL, fill in the form; returns the final redirect."""
    page = await browser.get(url)
    assert page.status_code == 200
    fields = {**form_fields(page.text), "loginId": "richard@example.com", "password": PASSWORD}
    response = await browser.post("/oauth2/authorize", data=fields)
    assert response.status_code == 303
    return response.headers["location"]


@pytest.mark.parametrize("which", ["confidential", "public"])
async def test_authlib_code_pkce_via_discovery(client: httpx.AsyncClient, registry: Registry, world: World,
                                               which: str) -> None:
    from authlib.common.security import generate_token
    from authlib.integrations.httpx_client import AsyncOAuth2Client
    from authlib.jose import JsonWebKey, jwt
    from authlib.jose.errors import BadSignatureError
    from authlib.oidc.core import CodeIDToken

    if which == "confidential":
        client_id, redirect_uri, options = world.store["id"], STORE_CB, {"client_secret": SECRET}
    else:
        client_id, redirect_uri, options = world.forums["id"], FORUMS_CB, {"token_endpoint_auth_method": "none"}
    transport = httpx.ASGITransport(app=create_app(registry.settings, registry))
    async with AsyncOAuth2Client(client_id=client_id, redirect_uri=redirect_uri, scope="openid email offline_access",
                                 code_challenge_method="S256", transport=transport, **options) as rp:
        meta: dict[str, Any] = (await rp.request("GET", f"{IDP}/.well-known/openid-configuration", withhold_token=True)).json()
        verifier, nonce = generate_token(48), generate_token(20)
        url, state = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce)

        callback = await _browser_login(client, url)
        assert callback.startswith(redirect_uri + "?")

        token = await rp.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier,
                                     state=state)
        assert token["token_type"] == "Bearer" and token["refresh_token"]

        jwks = JsonWebKey.import_key_set((await rp.request("GET", meta["jwks_uri"], withhold_token=True)).json())
        claims = jwt.decode(token["id_token"], jwks, claims_cls=CodeIDToken,
                            claims_options={"iss": {"essential": True, "values": [meta["issuer"]]}},
                            claims_params={"nonce": nonce, "client_id": client_id, "access_token": token["access_token"]})
        claims.validate()
        assert claims["sub"] == world.user["id"] and claims["nonce"] == nonce

        userinfo = (await rp.get(meta["userinfo_endpoint"])).json()
        assert userinfo["sub"] == world.user["id"] and userinfo["email"] == "richard@example.com"

        refreshed = await rp.refresh_token(meta["token_endpoint"])
        assert refreshed["access_token"] != token["access_token"]

        # the same library refuses a tampered id_token
        header, payload, signature = token["id_token"].split(".")
        body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        body["sub"] = "attacker"
        payload = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
        forged = f"{header}.{payload}.{signature}"
        with pytest.raises(BadSignatureError):
            jwt.decode(forged, jwks, claims_cls=CodeIDToken)
