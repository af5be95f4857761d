"""Real `authgate serve` processes for the multi-node and crash tests: loopback only, killed in a finally."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import API_KEY, PG_URL

CHEAP_HASH = {"AUTHGATE_ARGON2_MEMORY_KIB": "1024", "AUTHGATE_ARGON2_TIME_COST": "1",
              "AUTHGATE_PASSWORD_REJECT_COMMON": "false"}  # the nodes' users have "password123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Node:
    """One `authgate serve` subprocess; `url` is its base URL."""

    def __init__(self, data_dir: Path, env: dict[str, str], log: Path) -> None:
        self.data_dir, self.env, self.log = data_dir, env, log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> "Node":
        env = {**os.environ, **CHEAP_HASH, "AUTHGATE_API_KEY": API_KEY, "AUTHGATE_LOG_LEVEL": "warning", **self.env}
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "authgate", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                 "--data-dir", str(self.data_dir)], env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"node exited with {self.proc.returncode}: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/health/ready", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"node not ready after {timeout}s: {self.log.read_text()[-3000:]}")

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill9()


def pg_env(schema: str, **more: str) -> dict[str, str]:
    return {"AUTHGATE_DATABASE_URL": PG_URL, "AUTHGATE_DATABASE_SCHEMA": schema, **more}


def new_schema() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


@contextmanager
def nodes(tmp_path: Path, count: int, env: dict[str, str], shared_data_dir: bool = False) -> Iterator[list[Node]]:
    started: list[Node] = []
    try:
        for i in range(count):
            data_dir = tmp_path / ("data" if shared_data_dir else f"data{i}")
            started.append(Node(data_dir, {"AUTHGATE_ISSUER": "http://idp.test", **env}, tmp_path / f"node{i}.log").start())
        yield started
    finally:
        for n in started:
            n.stop()


ADMIN = {"Authorization": API_KEY}


def provision(url: str, *, policy: str = "OneTimeUse", email: str = "richard@example.com",
              password: str = "password123") -> dict[str, Any]:
    """An application with refresh tokens and a user registered to it, through the admin API."""
    app = httpx.post(f"{url}/api/application", headers=ADMIN, json={"application": {
        "name": f"Store {uuid.uuid4().hex[:6]}", "loginConfiguration": {"generateRefreshTokens": True, "requireAuthentication": False},
        "jwtConfiguration": {"refreshTokenUsagePolicy": policy}}})
    assert app.status_code == 200, app.text
    app_id = app.json()["application"]["id"]
    user = httpx.post(f"{url}/api/user/registration", headers=ADMIN, json={  # verified: /api/login answers 200
        "user": {"email": email, "password": password}, "registration": {"applicationId": app_id},
        "skipVerification": True})
    assert user.status_code == 200, user.text
    return {"app_id": app_id, "user_id": user.json()["user"]["id"], "email": email, "password": password}
