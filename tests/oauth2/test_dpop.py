"""DPoP (RFC 9449) at the token endpoint, on refresh, at userinfo, and in validate/introspection."""
from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey

from authgate.clock import clock
from authgate.oauth2.dpop import access_token_hash
from tests.conftest import IDP
from tests.oauth2.conftest import (
    FORUMS_CB, SECRET, STORE_CB, World, authorize_params, code_for, login, pkce_pair, redirect_params,
)

TOKEN_URL = f"{IDP}/oauth2/token"
EC = ECKey.generate_key("P-256", private=True)
EC2 = ECKey.generate_key("P-256", private=True)
RSA = RSAKey.generate_key(2048, private=True)


def proof(key: Any = EC, method: str = "POST", url: str = TOKEN_URL, *, alg: str = "ES256",
          header: dict[str, Any] | None = None, **claims: Any) -> str:
    body = {"jti": str(uuid.uuid4()), "htm": method, "htu": url, "iat": int(clock.now()), **claims}
    head = {"typ": "dpop+jwt", "alg": alg, "jwk": key.as_dict(private=False), **(header or {})}
    return jwt.encode(head, body, key)


def unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    enc = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()  # noqa: E731
    return f"{enc(header)}.{enc(claims)}."


def thumbprint(key: Any) -> str:
    return str(key.thumbprint())


VALIDATE_URL = f"{IDP}/api/jwt/validate"


async def _validate_with_proof(client: httpx.AsyncClient, token: str, key: Any = EC, alg: str = "ES256") -> httpx.Response:
    return await client.get("/api/jwt/validate", headers={
        "Authorization": f"DPoP {token}", "DPoP": proof(key, "GET", VALIDATE_URL, alg=alg, ath=access_token_hash(token))})


async def _code_request(client: httpx.AsyncClient, w: World, dpop: str | list[str] | None) -> httpx.Response:
    code = await code_for(client, w)
    headers: list[tuple[str, str]] = [("DPoP", v) for v in ([dpop] if isinstance(dpop, str) else dpop or [])]
    return await client.post("/oauth2/token", auth=(w.store["id"], SECRET), headers=headers,
                             data={"grant_type": "authorization_code", "code": code, "redirect_uri": STORE_CB})


@pytest.mark.parametrize("key, alg", [(EC, "ES256"), (RSA, "RS256")])
async def test_dpop_bound_tokens(client: httpx.AsyncClient, world: World, key: Any, alg: str) -> None:
    response = await _code_request(client, world, proof(key, alg=alg))
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens["token_type"] == "DPoP"
    access = tokens["access_token"]
    validated = await _validate_with_proof(client, access, key, alg)
    assert validated.json()["jwt"]["cnf"] == {"jkt": thumbprint(key)}
    intro = await client.post("/oauth2/introspect", data={"token": access}, auth=(world.store["id"], SECRET))
    assert intro.json()["cnf"] == {"jkt": thumbprint(key)} and intro.json()["token_type"] == "DPoP"
    userinfo_url = f"{IDP}/oauth2/userinfo"
    ok = await client.get("/oauth2/userinfo", headers={
        "Authorization": f"DPoP {access}", "DPoP": proof(key, "GET", userinfo_url, alg=alg, ath=access_token_hash(access))})
    assert ok.status_code == 200 and ok.json()["sub"] == world.user["id"]
    as_bearer = await client.get("/oauth2/userinfo", headers={"Authorization": f"Bearer {access}"})
    assert as_bearer.status_code == 401 and as_bearer.headers["www-authenticate"].startswith("DPoP")
    other_key = await client.get("/oauth2/userinfo", headers={
        "Authorization": f"DPoP {access}", "DPoP": proof(EC2, "GET", userinfo_url, ath=access_token_hash(access))})
    assert other_key.status_code == 401
    no_ath = await client.get("/oauth2/userinfo", headers={"Authorization": f"DPoP {access}",
                                                           "DPoP": proof(key, "GET", userinfo_url, alg=alg)})
    assert no_ath.status_code == 401


async def test_htu_is_compared_without_query_and_fragment(client: httpx.AsyncClient, world: World) -> None:
    response = await _code_request(client, world, proof(url=TOKEN_URL + "?x=1#frag"))
    assert response.status_code == 200 and response.json()["token_type"] == "DPoP"


def _bad_proofs() -> dict[str, Any]:
    now = lambda: int(clock.now())  # noqa: E731
    base = lambda: {"jti": str(uuid.uuid4()), "htm": "POST", "htu": TOKEN_URL, "iat": now()}  # noqa: E731
    hs = OctKey.generate_key(256)
    return {
        "wrong typ": lambda: proof(header={"typ": "JWT"}),
        "no typ": lambda: jwt.encode({"alg": "ES256", "jwk": EC.as_dict(private=False)}, base(), EC),
        "alg none": lambda: unsigned({"typ": "dpop+jwt", "alg": "none", "jwk": EC.as_dict(private=False)}, base()),
        "alg HS256": lambda: jwt.encode({"typ": "dpop+jwt", "alg": "HS256", "jwk": hs.as_dict()}, base(), hs),
        "private jwk": lambda: jwt.encode({"typ": "dpop+jwt", "alg": "ES256", "jwk": EC.as_dict(private=True)}, base(), EC),
        "no jwk": lambda: jwt.encode({"typ": "dpop+jwt", "alg": "ES256"}, base(), EC),
        "signed by another key": lambda: jwt.encode({"typ": "dpop+jwt", "alg": "ES256", "jwk": EC.as_dict(private=False)},
                                                    base(), EC2),
        "wrong htm": lambda: proof(htm="GET"),
        "wrong htu": lambda: proof(url=f"{IDP}/oauth2/introspect"),
        "other host htu": lambda: proof(url="https://evil.example/oauth2/token"),
        "old iat": lambda: proof(iat=now() - 3600),
        "future iat": lambda: proof(iat=now() + 3600),
        "no jti": lambda: jwt.encode({"typ": "dpop+jwt", "alg": "ES256", "jwk": EC.as_dict(private=False)},
                                     {k: v for k, v in base().items() if k != "jti"}, EC),
        "not a jwt": lambda: "garbage",
        "two headers": lambda: [proof(), proof()],
    }


@pytest.mark.parametrize("name", list(_bad_proofs()))
async def test_bad_proofs_are_refused(client: httpx.AsyncClient, world: World, name: str) -> None:
    response = await _code_request(client, world, _bad_proofs()[name]())
    assert response.status_code == 400 and response.json()["error"] == "invalid_dpop_proof", name
    assert "access_token" not in response.json()


async def test_replayed_proof_is_refused(client: httpx.AsyncClient, world: World) -> None:
    p = proof()
    assert (await _code_request(client, world, p)).status_code == 200
    replay = await _code_request(client, world, p)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_dpop_proof"


async def _public_tokens(client: httpx.AsyncClient, w: World, key: Any) -> dict[str, Any]:
    verifier, challenge = pkce_pair()
    params = authorize_params(w.forums["id"], FORUMS_CB, code_challenge=challenge, code_challenge_method="S256")
    code = redirect_params(await login(client, params))["code"]
    response = await client.post("/oauth2/token", headers={"DPoP": proof(key)}, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": FORUMS_CB, "client_id": w.forums["id"],
        "code_verifier": verifier})
    assert response.status_code == 200
    return dict(response.json())


async def test_public_client_refresh_token_is_bound_to_the_key(client: httpx.AsyncClient, world: World) -> None:
    tokens = await _public_tokens(client, world, EC)
    data = {"grant_type": "refresh_token", "client_id": world.forums["id"], "refresh_token": tokens["refresh_token"]}
    without = await client.post("/oauth2/token", data=data)
    assert without.status_code == 400 and without.json()["error"] == "invalid_grant"
    other = await client.post("/oauth2/token", data=data, headers={"DPoP": proof(EC2)})
    assert other.status_code == 400 and other.json()["error"] == "invalid_grant"
    same = await client.post("/oauth2/token", data=data, headers={"DPoP": proof(EC)})
    assert same.status_code == 200 and same.json()["token_type"] == "DPoP"
    intro_rt = await client.post("/oauth2/introspect", data={"token": same.json()["refresh_token"]},
                                 auth=(world.store["id"], SECRET))
    assert intro_rt.json() == {"active": False}  # Store may not introspect Forums' tokens


async def test_fusionauth_refresh_endpoint_honours_the_binding(client: httpx.AsyncClient, world: World) -> None:
    tokens = await _public_tokens(client, world, EC)
    url = f"{IDP}/api/jwt/refresh"
    stolen = await client.post("/api/jwt/refresh", json={"refreshToken": tokens["refresh_token"]})
    assert stolen.status_code == 400
    wrong_proof = await client.post("/api/jwt/refresh", json={"refreshToken": tokens["refresh_token"]},
                                    headers={"DPoP": proof(EC, url=TOKEN_URL)})
    assert wrong_proof.status_code == 400
    ok = await client.post("/api/jwt/refresh", json={"refreshToken": tokens["refresh_token"]},
                           headers={"DPoP": proof(EC, url=url)})
    assert ok.status_code == 200
    claims = (await _validate_with_proof(client, ok.json()["token"])).json()["jwt"]
    assert claims["cnf"] == {"jkt": thumbprint(EC)}


async def test_confidential_client_refresh_rebinds_access_token(client: httpx.AsyncClient, world: World) -> None:
    tokens = (await _code_request(client, world, proof())).json()
    data = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    plain = await client.post("/oauth2/token", data=data, auth=(world.store["id"], SECRET))
    assert plain.status_code == 200 and plain.json()["token_type"] == "Bearer"  # RFC 9449 section 5: not bound
    data["refresh_token"] = plain.json()["refresh_token"]
    bound = await client.post("/oauth2/token", data=data, auth=(world.store["id"], SECRET), headers={"DPoP": proof(EC2)})
    assert bound.json()["token_type"] == "DPoP"
