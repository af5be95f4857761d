"""Two `authgate serve` nodes on one PostgreSQL schema (and one Redis for rate limits) act as one IdP.

Marked `postgres` and `slow`; skipped, with the reason, when PostgreSQL (or Redis) is absent.
"""
from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import _pg_exec, pg_skip_reason
from tests.reliability import nodes

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
REDIS = "redis://127.0.0.1:6379"
LIMIT = 10  # logins per minute per client IP, counted across both nodes


def _redis_skip_reason() -> str | None:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=2).close()
    except OSError as exc:
        return f"Redis not reachable at {REDIS}: {exc}"
    return None


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[nodes.Node, nodes.Node, str]]:
    reason = pg_skip_reason() or _redis_skip_reason()
    if reason:
        pytest.skip(reason)
    schema = nodes.new_schema()
    asyncio.run(_pg_exec(f"CREATE SCHEMA {schema}"))
    env = nodes.pg_env(schema, AUTHGATE_RATE_LIMIT_STORAGE=REDIS, AUTHGATE_RATE_LIMIT_LOGIN=f"{LIMIT}/minute",
                       AUTHGATE_TRUSTED_PROXIES="127.0.0.1")
    try:
        with nodes.nodes(tmp_path_factory.mktemp("cluster"), 2, env) as (a, b):
            yield a, b, schema
    finally:
        asyncio.run(_pg_exec(f"DROP SCHEMA {schema} CASCADE"))


def _ip() -> dict[str, str]:
    """A client address of our own (the nodes trust X-Forwarded-For from loopback), so each test has
    fresh rate-limit counters in the shared Redis."""
    return {"X-Forwarded-For": f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"}


def _login(url: str, who: dict[str, str], headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{url}/api/login", headers=headers, json={
        "loginId": who["email"], "password": who["password"], "applicationId": who["app_id"]})


def _email() -> str:
    return f"u{uuid.uuid4().hex[:10]}@example.com"


def test_refresh_token_rotated_on_a_and_replayed_on_b_revokes_the_family(cluster):
    a, b, _ = cluster
    who = nodes.provision(a.url, email=_email())
    first = _login(a.url, who, _ip()).json()["refreshToken"]
    rotated = httpx.post(f"{a.url}/api/jwt/refresh", headers=_ip(), json={"refreshToken": first})
    assert rotated.status_code == 200
    replay = httpx.post(f"{b.url}/api/jwt/refresh", headers=_ip(), json={"refreshToken": first})
    assert replay.status_code == 400
    assert "already used" in replay.json()["fieldErrors"]["refreshToken"][0]["message"]
    # The legitimate holder's new token died with the family, on either node.
    for node in (a, b):
        r = httpx.post(f"{node.url}/api/jwt/refresh", headers=_ip(), json={"refreshToken": rotated.json()["refreshToken"]})
        assert r.status_code == 400


def test_key_rotated_with_the_cli_is_published_by_both_nodes(cluster, tmp_path: Path):
    a, b, schema = cluster
    before = {k["kid"] for k in httpx.get(f"{b.url}/.well-known/jwks.json").json()["keys"]} \
        if httpx.get(f"{b.url}/.well-known/jwks.json").status_code == 200 else set()
    env = {**os.environ, **nodes.CHEAP_HASH, **nodes.pg_env(schema), "AUTHGATE_API_KEY": ""}
    out = subprocess.run([sys.executable, "-m", "authgate", "key", "rotate", "--algorithm", "RS256",
                          "--data-dir", str(tmp_path)], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    new_kid = out.stdout.strip().split()[-1]
    assert new_kid not in before
    deadline = time.monotonic() + 8
    seen: dict[str, bool] = {}
    while time.monotonic() < deadline and not all(seen.get(n) for n in ("jwks", "public-key")):
        jwks = httpx.get(f"{b.url}/.well-known/jwks.json")
        if jwks.status_code == 200:
            seen["jwks"] = new_kid in {k["kid"] for k in jwks.json()["keys"]}
        else:
            seen["jwks"] = True  # discovery routes not served (yet); /api/jwt/public-key still must see it
        seen["public-key"] = new_kid in httpx.get(f"{b.url}/api/jwt/public-key").json()["publicKeys"]
        time.sleep(0.25)
    assert seen == {"jwks": True, "public-key": True}, seen
    # A token A signs with the new key now validates on B.
    time.sleep(2.5)  # A's current-key cache
    who = nodes.provision(a.url, email=_email())
    token = _login(a.url, who, _ip()).json()["token"]
    r = httpx.get(f"{b.url}/api/jwt/validate", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200


def test_user_created_on_a_logs_in_on_b(cluster):
    a, b, _ = cluster
    who = nodes.provision(a.url, email=_email())
    r = _login(b.url, who, _ip())
    assert r.status_code == 200 and r.json()["user"]["id"] == who["user_id"]
    assert httpx.get(f"{a.url}/api/jwt/validate", headers={"Authorization": f"Bearer {r.json()['token']}"}).status_code == 200


def test_rate_limit_counters_are_shared_through_redis(cluster):
    a, b, _ = cluster
    ip = _ip()
    # A new login id each time: five guesses at one id would lock it (409) before the rate limit.
    body = lambda: {"loginId": _email(), "password": "whatever-password"}  # noqa: E731
    codes = [httpx.post(f"{(a, b)[i % 2].url}/api/login", headers=ip, json=body()).status_code for i in range(LIMIT)]
    assert codes == [404] * LIMIT
    for node in (a, b):
        r = httpx.post(f"{node.url}/api/login", headers=ip, json=body())
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert httpx.post(f"{a.url}/api/login", headers=_ip(), json=body()).status_code == 404  # another client is not limited


def test_sso_session_created_on_a_is_honoured_by_b(cluster):
    """Log in through A's hosted form; B's /oauth2/authorize then redirects with a code at once (no form),
    and B redeems it: the SSO session lives in the shared database, not in a node's memory."""
    from tests.oauth2.conftest import authorize_params, form_fields, pkce_pair, redirect_params

    a, b, _ = cluster
    callback, secret = "http://store.test/oauth-redirect", "store-secret-0123456789abcdefghij"
    app = httpx.post(f"{a.url}/api/application", headers=nodes.ADMIN, json={"application": {
        "name": f"SSO {uuid.uuid4().hex[:6]}", "loginConfiguration": {"generateRefreshTokens": True},
        "oauthConfiguration": {"authorizedRedirectURLs": [callback], "clientSecret": secret,
                               "requireClientAuthentication": True,
                               "enabledGrants": ["authorization_code", "refresh_token"]}}})
    assert app.status_code == 200, app.text
    app_id = app.json()["application"]["id"]
    email, password = _email(), "password123"
    user = httpx.post(f"{a.url}/api/user/registration", headers=nodes.ADMIN, json={
        "user": {"email": email, "password": password}, "registration": {"applicationId": app_id}})
    assert user.status_code == 200, user.text
    with httpx.Client(headers=_ip()) as browser:  # one cookie jar: both nodes are 127.0.0.1
        _, challenge = pkce_pair()
        params = authorize_params(app_id, callback, code_challenge=challenge, code_challenge_method="S256")
        page = browser.get(f"{a.url}/oauth2/authorize", params=params)
        assert page.status_code == 200 and 'name="password"' in page.text
        fields = {**form_fields(page.text), "loginId": email, "password": password}
        on_a = browser.post(f"{a.url}/oauth2/authorize", data=fields)
        assert redirect_params(on_a)["code"]
        assert browser.cookies.get("fusionauth.sso")
        verifier, challenge = pkce_pair()
        params = authorize_params(app_id, callback, code_challenge=challenge, code_challenge_method="S256")
        on_b = browser.get(f"{b.url}/oauth2/authorize", params=params)
        code = redirect_params(on_b)["code"]  # a redirect, not the login form
        assert redirect_params(on_b)["state"] == params["state"]
        token = browser.post(f"{b.url}/oauth2/token", auth=(app_id, secret), data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": callback, "code_verifier": verifier})
        assert token.status_code == 200, token.text
        assert token.json()["access_token"]


def test_concurrent_guesses_over_both_nodes_are_bounded_by_the_threshold(cluster):
    """Issue 15 finding 1 across nodes: the guesses are reserved in the shared database before the
    hash, so eight simultaneous wrong passwords split over A and B get exactly the threshold (5) of
    404s; the rest, and then the right password, are refused (409) by either node."""
    from concurrent.futures import ThreadPoolExecutor

    a, b, _ = cluster
    who = nodes.provision(a.url, email=_email())
    source = _ip()  # one attacker address (ten logins fit the shared rate limit of this cluster)
    wrong = {**who, "password": "wrong-password"}
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda n: _login((a, b)[n % 2].url, wrong, source).status_code, range(8)))
    assert sorted(codes) == [404] * 5 + [409] * 3, codes
    assert _login(b.url, who, source).status_code == 409
    assert _login(a.url, who, source).status_code == 409
    assert _login(b.url, who, _ip()).status_code == 200  # the owner, from another address, is not locked out
