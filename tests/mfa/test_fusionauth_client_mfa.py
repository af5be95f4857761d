"""FusionAuth's own Python client drives the TOTP path against a real `authgate serve`: generate a
secret, enable two-factor, log in (242), finish with /api/two-factor/login, use a recovery code,
regenerate the codes and disable the method (code in the query, then in a JSON body)."""
from __future__ import annotations

import base64
import time

import pytest
from fusionauth.fusionauth_client import FusionAuthClient

from authgate.mfa import totp
from tests.conftest import API_KEY
from tests.fusionauth.test_fusionauth_client import server  # noqa: F401 - the shared server fixture

pytestmark = pytest.mark.slow


def _code(secret: bytes, step_offset: int = 0) -> str:
    return totp.code_at(secret, int(time.time()) // totp.STEP_SECONDS + step_offset)


def test_fusionauth_client_two_factor_totp(server: str) -> None:  # noqa: F811
    client = FusionAuthClient(API_KEY, server)
    app_id = client.create_application({"application": {"name": "MFA", "loginConfiguration": {
        "generateRefreshTokens": True}}}).success_response["application"]["id"]
    # verified, so the logins below answer 200, not FusionAuth's 212 (email not verified)
    user_id = client.create_user({"user": {"email": "grace@example.com", "password": "correct horse"},
                                  "skipVerification": True}).success_response["user"]["id"]
    assert client.register({"registration": {"applicationId": app_id}}, user_id).was_successful()

    got = client.generate_two_factor_secret()
    assert got.status == 200, got.error_response
    secret = base64.b64decode(got.success_response["secret"])
    r = client.enable_two_factor(user_id, {"method": "authenticator", "code": _code(secret),
                                           "secretBase32Encoded": got.success_response["secretBase32Encoded"]})
    assert r.status == 200, r.error_response
    recovery = r.success_response["recoveryCodes"]
    assert len(recovery) == 10

    login = {"loginId": "grace@example.com", "password": "correct horse", "applicationId": app_id}
    r = client.login(login)
    assert r.status == 242 and r.success_response["methods"][0]["method"] == "authenticator"
    two_factor_id = r.success_response["twoFactorId"]
    r = client.two_factor_login({"twoFactorId": two_factor_id, "code": "000000" if _code(secret, 1) != "000000" else "111111",
                                 "applicationId": app_id})
    assert r.status == 421
    r = client.two_factor_login({"twoFactorId": two_factor_id, "code": _code(secret, 1), "applicationId": app_id})
    assert r.status == 200, r.error_response
    token = r.success_response["token"]
    claims = client.validate_jwt(token).success_response["jwt"]
    assert claims["amr"] == ["mfa", "otp", "pwd"] and claims["sub"] == user_id
    assert client.two_factor_login({"twoFactorId": two_factor_id, "code": _code(secret, 1),
                                    "applicationId": app_id}).status == 404

    r = client.login(login)
    r = client.two_factor_login({"twoFactorId": r.success_response["twoFactorId"], "code": recovery[0],
                                 "applicationId": app_id})
    assert r.status == 200
    fresh = client.generate_two_factor_recovery_codes(user_id)
    assert fresh.status == 200 and len(fresh.success_response["recoveryCodes"]) == 10

    method_id = client.login(login).success_response["methods"][0]["id"]
    assert client.disable_two_factor(user_id, method_id, recovery[1]).status == 421  # replaced by the new codes
    r = client.disable_two_factor_with_request(user_id, {"methodId": method_id,  # the code in a JSON body
                                                         "code": fresh.success_response["recoveryCodes"][0]})
    assert r.status == 200, r.error_response
    assert client.login(login).status == 200
