"""Logs: request ids on every answer and log line, one access line per request, JSON Lines for
authgate and uvicorn alike, login failures with their reason and never the password."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest

from tests.conftest import API_KEY
from tests.reliability import nodes


async def test_request_ids_are_returned_kept_when_valid_and_replaced_when_not(client):
    mine = await client.get("/health/alive", headers={"X-Request-Id": "lb-7f3a.19:2"})
    assert mine.headers["x-request-id"] == "lb-7f3a.19:2"
    ids = set()
    for bad in ("two\r\nlines", "x" * 129, "quote\"d", ""):
        r = await client.get("/health/alive", headers={"X-Request-Id": bad})
        assert r.headers["x-request-id"] not in (bad, "") and "\n" not in r.headers["x-request-id"]
        ids.add(r.headers["x-request-id"])
    assert len(ids) == 4  # each request its own
    # Errors answered by the front door and by FastAPI carry it too.
    assert (await client.post("/api/login", content=b"{", headers={"Content-Type": "application/json"})).headers["x-request-id"]
    assert (await client.get("/api/user", headers={"X-Request-Id": "abc"})).headers["x-request-id"] == "abc"


async def test_one_access_line_per_request_without_query_secrets(client, caplog):
    caplog.set_level(logging.INFO, logger="authgate.access")
    await client.get("/oauth2/authorize?client_id=c&code=s3cr3t-code&id_token_hint=eyJx.eyJy.z&state=st",
                     headers={"X-Request-Id": "req-1"})
    [line] = [r for r in caplog.records if r.name == "authgate.access"]
    assert line.http["method"] == "GET" and line.http["status"] in (400, 200) and line.http["client_ip"] == "127.0.0.1"
    assert "s3cr3t-code" not in line.getMessage() and "eyJx" not in line.getMessage()
    assert "client_id=c" in line.http["path"] and "state=st" in line.http["path"]
    assert line.http["duration_ms"] >= 0


@pytest.mark.slow
def test_json_lines_from_a_real_server(tmp_path: Path):
    node = nodes.Node(tmp_path / "data", {"AUTHGATE_LOG_FORMAT": "json", "AUTHGATE_LOG_LEVEL": "info",
                                          "AUTHGATE_ISSUER": "http://idp.test", "AUTHGATE_RATE_LIMIT_STORAGE": ""},
                      tmp_path / "node.log")
    node.start()
    try:
        admin = {"Authorization": API_KEY}
        assert httpx.post(f"{node.url}/api/user", headers=admin, json={"user": {
            "email": "ann@example.com", "password": "correct horse"}}).status_code == 200
        r = httpx.post(f"{node.url}/api/login", headers={**admin, "X-Request-Id": "login-try-1"},
                       json={"loginId": "ann@example.com", "password": "Tr0ub4dor&3"})
        assert r.status_code == 404 and r.headers["x-request-id"] == "login-try-1"
    finally:
        node.stop()  # SIGTERM: the queued lines are written at exit
    text = node.log.read_text()
    assert "Tr0ub4dor" not in text and "correct horse" not in text
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]  # every line is JSON
    assert any(line["logger"].startswith("uvicorn") for line in lines)  # uvicorn speaks the same format
    mine = [line for line in lines if line["request_id"] == "login-try-1"]
    access = [line for line in mine if line["logger"] == "authgate.access"]
    assert len(access) == 1 and access[0]["http"]["status"] == 404 and access[0]["http"]["path"] == "/api/login"
    assert any("login failed" in line["message"] and "invalid credentials" in line["message"] for line in mine)
