"""A fake IdP (JWKS + token endpoints on an httpx MockTransport) and example apps wired to it.

No real IdP: these tests pin the example apps' own behaviour.
"""
from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from authgate_demo.apps.common.config import ExampleConfig

ISSUER = "http://idp.authgate.localhost:9011"
IDP_INTERNAL = "http://127.0.0.1:9011"
STORE_ORIGIN = "http://store.authgate.localhost:8081"
FORUMS_ORIGIN = "http://forums.authgate.localhost:8082"
STORE_CLIENT = "e9fdb985-9173-4e01-9d73-ac2d60d1dc8e"
FORUMS_CLIENT = "a8e6a1c0-5d7f-4f0e-9a8e-6a1c05d7f4f0"
USER_ID = "00000000-0000-0000-0000-000000000001"

_RSA = RSAKey.generate_key(2048, parameters={"kid": "rsa-1", "use": "sig", "alg": "RS256"}, private=True)
_EC = ECKey.generate_key("P-256", parameters={"kid": "ec-1", "use": "sig", "alg": "ES256"}, private=True)


class Clock:
    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now


class FakeIdP:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.published = [_RSA, _EC]  # keys served at /.well-known/jwks.json
        self.jwks_hits = 0
        self.jwks_down = False
        self.token_calls: list[dict[str, Any]] = []
        self.revoked: list[str] = []
        self.refresh_ok = True
        self.next_aud = STORE_CLIENT

    def mint(self, *, aud: Any = STORE_CLIENT, exp_in: int = 300, key: Any = _RSA, alg: str = "RS256",
             header: dict[str, Any] | None = None, **claims: Any) -> str:
        now = int(self.clock())
        payload = {"iss": ISSUER, "sub": USER_ID, "aud": aud, "applicationId": aud, "iat": now,
                   "exp": now + exp_in, "email": "richard@example.com", **claims}
        return jwt.encode({"alg": alg, "typ": "at+jwt", "kid": key.kid, **(header or {})}, payload, key)

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/.well-known/jwks.json":
            self.jwks_hits += 1
            if self.jwks_down:
                return httpx.Response(503, text="down")
            return httpx.Response(200, json={"keys": [k.as_dict(private=False) for k in self.published]})
        if path == "/oauth2/token":
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            self.token_calls.append({"form": form, "auth": request.headers.get("authorization")})
            if form.get("grant_type") == "refresh_token" and not self.refresh_ok:
                return httpx.Response(400, json={"error": "invalid_grant"})
            if form.get("code") == "bad":
                return httpx.Response(400, json={"error": "invalid_grant"})
            return httpx.Response(200, json={
                "access_token": self.mint(aud=self.next_aud), "token_type": "Bearer", "expires_in": 300,
                "refresh_token": f"rt-{len(self.token_calls)}"})
        if path == "/oauth2/revoke":
            self.revoked.append(parse_qs(request.content.decode())["token"][0])
            return httpx.Response(200)
        return httpx.Response(404, json={"error": "not_found"})


def unsigned(payload: dict[str, Any], header: dict[str, Any]) -> str:
    """A token with whatever header and payload, and an empty signature (alg none style)."""
    import base64

    def b64(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{b64(header)}.{b64(payload)}."


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def idp(clock: Clock) -> FakeIdP:
    return FakeIdP(clock)


def config(mode: str, tmp_path: Any, **overrides: Any) -> ExampleConfig:
    forums = overrides.pop("forums", False)
    values: dict[str, Any] = dict(
        name="Forums" if forums else "Store", mode=mode,
        public_origin=FORUMS_ORIGIN if forums else STORE_ORIGIN,
        idp_public_url=ISSUER, idp_internal_url=IDP_INTERNAL, issuer=ISSUER,
        client_id=FORUMS_CLIENT if forums else STORE_CLIENT,
        db_path=tmp_path / f"{'forums' if forums else 'store'}-{mode}.db",
        client_secret="s3cret" if mode in ("code-pkce-cookie", "bff") else "", cookie_secret="test-secret")
    values.update(overrides)
    return ExampleConfig(**values)


AppMaker = Callable[..., Any]


@pytest.fixture
async def make_client(idp: FakeIdP, clock: Clock, tmp_path: Any) -> AsyncIterator[AppMaker]:
    """make_client(mode, forums=False, **config) -> httpx client talking to the app in-process."""
    from authgate_demo.apps.forums.app import create_app as create_forums
    from authgate_demo.apps.store.app import create_app as create_store

    clients: list[httpx.AsyncClient] = []
    idp_http = httpx.AsyncClient(transport=httpx.MockTransport(idp.handler))

    async def make(mode: str, **overrides: Any) -> httpx.AsyncClient:
        cfg = config(mode, tmp_path, **overrides)
        factory = create_forums if cfg.name == "Forums" else create_store
        app = factory(cfg, http=idp_http, clock=clock)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=cfg.origin,
                                   follow_redirects=False)
        client.app = app  # type: ignore[attr-defined]
        clients.append(client)
        return client

    yield make
    for c in clients:
        await c.aclose()
    await idp_http.aclose()
