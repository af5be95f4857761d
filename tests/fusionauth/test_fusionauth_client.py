"""The done criterion: FusionAuth's own Python client, unmodified, against a running `authgate serve`.

The server is a real subprocess (`python -m authgate serve`) on a free port, once on SQLite and
once on PostgreSQL; the client is the synchronous, `requests`-based `fusionauth-client`.
"""
from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from fusionauth.fusionauth_client import FusionAuthClient

from tests.conftest import API_KEY, PG_URL, _pg_exec

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"authgate exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"{url}/health/ready", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"authgate did not become ready:\n{log.read_text()[-3000:]}")


@pytest.fixture
def server(backend: str, tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "AUTHGATE_API_KEY": API_KEY, "AUTHGATE_ARGON2_MEMORY_KIB": "4096",
           "AUTHGATE_RATE_LIMIT_STORAGE": "", "AUTHGATE_LOG_LEVEL": "warning"}
    for name in ("AUTHGATE_DATABASE_URL", "AUTHGATE_DATABASE_SCHEMA", "AUTHGATE_ISSUER", "AUTHGATE_CONFIG"):
        env.pop(name, None)
    schema = None
    if backend == "postgres":
        schema = f"t_{uuid.uuid4().hex[:12]}"
        asyncio.run(_pg_exec(f"CREATE SCHEMA {schema}"))
        env.update(AUTHGATE_DATABASE_URL=PG_URL, AUTHGATE_DATABASE_SCHEMA=schema)
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "authgate", "serve", "--port", str(port),
                                 "--data-dir", str(tmp_path / "data")], env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if schema:
            asyncio.run(_pg_exec(f"DROP SCHEMA {schema} CASCADE"))


def test_fusionauth_python_client_end_to_end(server: str) -> None:
    client = FusionAuthClient(API_KEY, server)

    r = client.create_application({"application": {
        "name": "Client test", "loginConfiguration": {"generateRefreshTokens": True},
        "jwtConfiguration": {"enabled": True, "timeToLiveInSeconds": 600, "refreshTokenTimeToLiveInMinutes": 60},
        "roles": [{"name": "member", "isDefault": True}]}})
    assert r.was_successful() and r.status == 200, r.error_response
    app_id = r.success_response["application"]["id"]
    assert r.success_response["application"]["oauthConfiguration"]["clientId"] == app_id

    # An account made by the administrator: verified (without skipVerification, /api/login would answer 212).
    r = client.create_user({"user": {"email": "ada@example.com", "password": "correct horse", "firstName": "Ada"},
                            "skipVerification": True})
    assert r.was_successful(), r.error_response
    user_id = r.success_response["user"]["id"]
    assert "password" not in r.success_response["user"]

    r = client.register({"registration": {"applicationId": app_id}}, user_id)
    assert r.was_successful(), r.error_response
    assert r.success_response["registration"]["roles"] == ["member"]

    r = client.retrieve_user(user_id)
    assert r.success_response["user"]["registrations"][0]["applicationId"] == app_id

    r = client.login({"loginId": "ada@example.com", "password": "correct horse", "applicationId": app_id})
    assert r.status == 200 and r.was_successful()
    token, refresh_token = r.success_response["token"], r.success_response["refreshToken"]
    assert r.success_response["user"]["id"] == user_id

    r = client.validate_jwt(token)
    assert r.was_successful()
    claims = r.success_response["jwt"]
    assert (claims["sub"], claims["applicationId"], claims["roles"]) == (user_id, app_id, ["member"])

    r = client.exchange_refresh_token_for_jwt({"refreshToken": refresh_token})
    assert r.was_successful(), r.error_response
    new_refresh = r.success_response["refreshToken"]
    assert new_refresh != refresh_token  # OneTimeUse rotation by default
    assert client.validate_jwt(r.success_response["token"]).was_successful()

    assert client.revoke_refresh_token(token=new_refresh).was_successful()
    r = client.exchange_refresh_token_for_jwt({"refreshToken": new_refresh})
    assert r.status == 400 and r.error_response["fieldErrors"]["refreshToken"][0]["code"] == "[invalid]refreshToken"

    third = client.login({"loginId": "ada@example.com", "password": "correct horse",
                          "applicationId": app_id}).success_response["refreshToken"]
    r = client.revoke_refresh_tokens_by_user_id(user_id)
    assert r.was_successful() and r.status == 200
    assert client.exchange_refresh_token_for_jwt({"refreshToken": third}).status == 400

    r = client.login({"loginId": "ada@example.com", "password": "wrong password", "applicationId": app_id})
    assert r.status == 404 and not r.was_successful()
    r = client.login({"loginId": "nobody@example.com", "password": "wrong password", "applicationId": app_id})
    assert r.status == 404

    r = FusionAuthClient("not-the-key-" + "x" * 30, server).retrieve_user(user_id)
    assert r.status == 401 and not r.was_successful()
    assert client.retrieve_user(str(uuid.uuid4())).status == 404
    r = client.create_user({"user": {"email": "bad", "password": "short"}})
    assert r.status == 400 and set(r.error_response["fieldErrors"]) == {"user.email", "user.password"}


def test_fusionauth_python_client_account_lifecycle(server: str) -> None:
    """Combined registration, email verification, forgot/change password and the password policy,
    through FusionAuth's own client (issue 12). The server runs with its default policy."""
    client = FusionAuthClient(API_KEY, server)
    r = client.create_application({"application": {"name": "Lifecycle", "loginConfiguration": {"generateRefreshTokens": True}}})
    app_id = r.success_response["application"]["id"]

    weak = client.register({"user": {"email": "eve@example.com", "password": "password1"},
                            "registration": {"applicationId": app_id}})
    assert weak.status == 400 and "[breachedCommonPassword]user.password" in str(weak.error_response)

    r = client.register({"user": {"email": "eve@example.com", "password": "tangerine orbit 42"},
                         "registration": {"applicationId": app_id}})
    assert r.was_successful(), r.error_response
    assert r.success_response["user"]["verified"] is False  # verification is on by default (skipVerification: false)
    # FusionAuth's 212: the password is right, the email not verified; this application lets such users in.
    early = client.login({"loginId": "eve@example.com", "password": "tangerine orbit 42", "applicationId": app_id})
    assert early.status == 212 and early.was_successful() and early.success_response["token"]
    assert early.success_response["user"]["verified"] is False

    r = client.create_application({"application": {"name": "Gated", "emailConfiguration": {
        "verifyEmail": True, "unverified": {"behavior": "Gated"}}}})
    gated_id = r.success_response["application"]["id"]
    r = client.register({"user": {"email": "gil@example.com", "password": "tangerine orbit 42"},
                         "registration": {"applicationId": gated_id}})
    assert r.was_successful() and r.success_response["user"]["verified"] is False
    gated = client.login({"loginId": "gil@example.com", "password": "tangerine orbit 42", "applicationId": gated_id})
    assert gated.status == 212 and "token" not in gated.success_response  # Gated: no token until verified
    r = client.register({"user": {"email": "sam@example.com", "password": "tangerine orbit 42"},
                         "registration": {"applicationId": gated_id}, "skipVerification": True})
    assert r.was_successful() and r.success_response["user"]["verified"] is True
    assert client.login({"loginId": "sam@example.com", "password": "tangerine orbit 42",
                         "applicationId": gated_id}).status == 200

    r = client.resend_email_verification("eve@example.com")
    assert r.was_successful(), r.error_response
    verification_id = r.success_response["verificationId"]
    assert client.verify_email_address({"verificationId": verification_id}).status == 200
    assert client.verify_email_address({"verificationId": verification_id}).status == 404  # single use
    assert client.retrieve_user_by_email("eve@example.com").success_response["user"]["verified"] is True

    r = client.forgot_password({"loginId": "eve@example.com", "applicationId": app_id, "sendForgotPasswordEmail": False})
    assert r.was_successful(), r.error_response
    change_id = r.success_response["changePasswordId"]
    assert client.check_change_password_using_id(change_id).status == 200
    bad = client.change_password(change_id, {"password": "12345678"})
    assert bad.status == 400 and "[breachedCommonPassword]password" in str(bad.error_response)
    assert client.change_password(change_id, {"password": "velvet harbour 77"}).status == 200
    assert client.check_change_password_using_id(change_id).status == 404
    assert client.forgot_password({"loginId": "nobody@example.com"}).status == 404

    login = client.login({"loginId": "eve@example.com", "password": "velvet harbour 77", "applicationId": app_id})
    assert login.status == 200, login.error_response
    r = client.change_password_using_jwt(login.success_response["token"],
                                      {"currentPassword": "velvet harbour 77", "password": "quiet meadow 19"})
    assert r.status == 200, r.error_response
    refresh = client.exchange_refresh_token_for_jwt({"refreshToken": login.success_response["refreshToken"]})
    assert refresh.status == 400  # the change revoked the user's refresh tokens
    wrong = client.change_password_by_identity({"loginId": "eve@example.com", "currentPassword": "nope nope nope",
                                                "password": "another fine one"})
    assert wrong.status == 400 and "currentPassword" in str(wrong.error_response)
    r = client.change_password_by_identity({"loginId": "eve@example.com", "currentPassword": "quiet meadow 19",
                                            "password": "another fine one"})
    assert r.status == 200, r.error_response
    assert client.login({"loginId": "eve@example.com", "password": "another fine one"}).status == 200
