"""Refresh tokens stay with who they were issued to: a confidential client's token is refused on
/api/jwt/refresh (no client authentication there), and a DPoP refresh binds a public client's
rotated token to the proof's key (RFC 9449 section 5)."""
from __future__ import annotations

import time
import uuid

from joserfc import jwt
from joserfc.jwk import ECKey

from authgate.tokens import refresh
from tests.conftest import IDP
from tests.factories import make_application, make_user


def _proof(key: ECKey, htu: str) -> str:
    claims = {"jti": str(uuid.uuid4()), "htm": "POST", "htu": htu, "iat": int(time.time())}
    return jwt.encode({"typ": "dpop+jwt", "alg": "ES256", "jwk": key.as_dict(private=False)}, claims, key)


async def test_confidential_clients_refresh_token_is_refused_without_client_auth(client, registry):
    app = await make_application(registry)
    user = await make_user(registry, apps=[app])
    token, _ = await refresh.create(registry, user_id=user["id"], app=app, doc={"confidential": True})
    r = await client.post("/api/jwt/refresh", json={"refreshToken": token})
    assert r.status_code == 400
    assert (await registry.db.refresh_tokens.find_by_token(token))["used_instant"] is None  # nothing spent


async def test_dpop_refresh_binds_the_rotated_refresh_token(client, registry):
    app = await make_application(registry)
    await make_user(registry, apps=[app])
    login = await client.post("/api/login", json={"loginId": "richard@example.com", "password": "password",
                                                  "applicationId": app["id"]})
    client.cookies.clear()
    victim, thief = ECKey.generate_key("P-256", private=True), ECKey.generate_key("P-256", private=True)
    url = f"{IDP}/api/jwt/refresh"
    r = await client.post("/api/jwt/refresh", json={"refreshToken": login.json()["refreshToken"]},
                          headers={"DPoP": _proof(victim, url)})
    assert r.status_code == 200
    client.cookies.clear()
    rotated = r.json()["refreshToken"]
    stolen = await client.post("/api/jwt/refresh", json={"refreshToken": rotated}, headers={"DPoP": _proof(thief, url)})
    assert stolen.status_code == 400
    client.cookies.clear()
    bare = await client.post("/api/jwt/refresh", json={"refreshToken": rotated})
    assert bare.status_code == 400
    client.cookies.clear()
    ok = await client.post("/api/jwt/refresh", json={"refreshToken": rotated}, headers={"DPoP": _proof(victim, url)})
    assert ok.status_code == 200
