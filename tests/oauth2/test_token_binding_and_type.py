"""A DPoP-bound token is only valid with its proof, everywhere (issue 15 finding 7, RFC 9449
section 7.1), and an access token is typed `at+jwt`, checked by every verifier (finding 8, RFC
9068): /api/jwt/validate (header and cookie), userinfo, introspection, the self-service APIs."""
from __future__ import annotations

import httpx

from authgate.oauth2.dpop import access_token_hash
from authgate.tokens import access, jwt
from tests.oauth2.conftest import SECRET, World, code_for, redeem
from tests.oauth2.test_dpop import EC, EC2, VALIDATE_URL, _code_request, _validate_with_proof, proof


async def test_a_bound_token_is_refused_as_bearer_and_from_the_cookie(client: httpx.AsyncClient, world: World) -> None:
    """The pen-tester replayed a DPoP-bound token as `Bearer` at /api/jwt/validate (200) and in the
    `access_token` cookie (200). Both are 401 now; with a proof of the key it is 200."""
    bound = (await _code_request(client, world, proof())).json()["access_token"]
    assert (await client.get("/api/jwt/validate", headers={"Authorization": f"Bearer {bound}"})).status_code == 401
    client.cookies.set("access_token", bound, domain="idp.authgate.localhost")
    assert (await client.get("/api/jwt/validate")).status_code == 401
    client.cookies.clear()
    assert (await _validate_with_proof(client, bound)).status_code == 200
    assert (await _validate_with_proof(client, bound, EC2)).status_code == 401  # another key's proof
    no_ath = await client.get("/api/jwt/validate", headers={"Authorization": f"DPoP {bound}",
                                                            "DPoP": proof(EC, "GET", VALIDATE_URL)})
    assert no_ath.status_code == 401
    # The self-service APIs that take the user's own token (FusionAuth's two-factor secret) too.
    assert (await client.get("/api/two-factor/secret", headers={"Authorization": f"Bearer {bound}"})).status_code == 401


async def test_an_unbound_token_is_still_fine_as_bearer_and_cookie(client: httpx.AsyncClient, world: World) -> None:
    plain = (await redeem(client, world, await code_for(client, world))).json()["access_token"]
    assert (await client.get("/api/jwt/validate", headers={"Authorization": f"Bearer {plain}"})).status_code == 200
    client.cookies.set("access_token", plain, domain="idp.authgate.localhost")
    assert (await client.get("/api/jwt/validate")).status_code == 200
    client.cookies.clear()
    assert (await client.get("/api/two-factor/secret", headers={"Authorization": f"Bearer {plain}"})).status_code == 200
    assert (await client.get("/api/jwt/validate", headers={"Authorization": f"DPoP {plain}",
                                                           "DPoP": proof(EC, "GET", VALIDATE_URL, ath=access_token_hash(plain))})
            ).status_code == 401  # the DPoP scheme with an unbound token


async def test_access_tokens_are_typed_and_id_tokens_are_not(client: httpx.AsyncClient, world: World) -> None:
    tokens = (await redeem(client, world, await code_for(client, world))).json()
    assert jwt.unverified_header(tokens["access_token"])["typ"] == "at+jwt"
    assert jwt.unverified_header(tokens["id_token"])["typ"] == "JWT"
    login = await client.post("/api/login", json={"loginId": "richard@example.com",
                                                  "password": "correct horse battery staple",
                                                  "applicationId": world.store["id"]})
    assert jwt.unverified_header(login.json()["token"])["typ"] == "at+jwt"


async def test_a_token_signed_by_our_key_but_not_typed_at_jwt_is_no_access_token(client: httpx.AsyncClient,
                                                                                  world: World) -> None:
    """The access token's own claims re-signed as `typ: JWT` (what an id_token says): every
    verifier refuses it, so nothing but an access token can ever be one."""
    tokens = (await redeem(client, world, await code_for(client, world))).json()
    claims = (await client.get("/api/jwt/validate", headers={"Authorization": f"Bearer {tokens['access_token']}"})).json()["jwt"]
    retyped = await jwt.sign(world.reg.keys, claims, typ="JWT")
    for token in (retyped, tokens["id_token"]):
        assert (await client.get("/api/jwt/validate", headers={"Authorization": f"Bearer {token}"})).status_code == 401
        assert (await client.get("/oauth2/userinfo", headers={"Authorization": f"Bearer {token}"})).status_code == 401
        intro = await client.post("/oauth2/introspect", data={"token": token}, auth=(world.store["id"], SECRET))
        assert intro.json() == {"active": False}
    assert access.TYP == "at+jwt"
