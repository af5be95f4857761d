"""FusionAuth's own Python client against `authgate serve`: audit log and login record APIs."""
from __future__ import annotations

import pytest
from fusionauth.fusionauth_client import FusionAuthClient

from tests.conftest import API_KEY
from tests.fusionauth.test_fusionauth_client import server  # noqa: F401  (the fixture)

pytestmark = pytest.mark.slow


def test_audit_log_and_login_records_through_the_fusionauth_client(server: str) -> None:  # noqa: F811
    client = FusionAuthClient(API_KEY, server)
    created = client.create_audit_log({"auditLog": {"insertUser": "ops@example.com", "message": "Opened the vault",
                                                    "data": {"ticket": "OPS-7"}}})
    assert created.was_successful(), created.error_response
    entry = created.success_response["auditLog"]
    fetched = client.retrieve_audit_log(entry["id"])
    assert fetched.was_successful() and fetched.success_response["auditLog"]["message"] == "Opened the vault"
    found = client.search_audit_logs({"search": {"message": "vault", "numberOfResults": 10}})
    assert found.was_successful() and found.success_response["total"] == 1
    too_many = client.search_audit_logs({"search": {"numberOfResults": 100_000}})
    assert too_many.status == 400

    app = client.create_application({"application": {"name": "Store", "loginConfiguration": {
        "requireAuthentication": False}}}).success_response["application"]
    user = client.register({"user": {"email": "ann@example.com", "password": "correct horse battery"},
                            "registration": {"applicationId": app["id"]}, "skipVerification": True}).success_response["user"]
    assert client.login({"loginId": "ann@example.com", "password": "correct horse battery",
                         "applicationId": app["id"]}).status == 200
    assert client.login({"loginId": "ann@example.com", "password": "wrong password!"}).status == 404
    records = client.search_login_records({"search": {"userId": user["id"]}, "retrieveTotal": True})
    assert records.was_successful(), records.error_response
    assert records.success_response["total"] == 1
    assert records.success_response["logins"][0]["applicationName"] == "Store"
    failed = client.search_audit_logs({"search": {"message": "login failed"}}).success_response
    assert failed["total"] == 1 and failed["auditLogs"][0]["data"]["reason"] == "invalid credentials"
    assert "wrong password" not in str(failed)
