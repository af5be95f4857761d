"""authgate under test: `authgate serve` pinned to the server core, provisioned over its admin API."""
from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

from bench.server import REPO_ROOT, SERVER_CORE, ServerProcess, free_port, pinned

POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "authgate_bench"
PASSWORD = "correct-horse-battery-staple-42"
CLIENT_SECRET = "bench-client-secret-0123456789abcdef"


def authgate_command() -> list[str]:
    script = Path(sys.executable).with_name("authgate")
    if script.exists():
        return [str(script)]
    found = shutil.which("authgate")
    if found:
        return [found]
    return [sys.executable, "-m", "authgate.cli"]


async def _recreate_database(admin_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def fresh_postgres_url(base_url: str = POSTGRES_URL, name: str = BENCH_DATABASE) -> str:
    """A new empty database beside the given one (so a run never touches the test database)."""
    parts = urlsplit(base_url)
    plain = urlunsplit(("postgresql", parts.netloc, parts.path, "", ""))
    asyncio.run(_recreate_database(plain, name))
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def start(
    data_dir: Path, log_dir: Path, *, api_key: str, database_url: str = "",
    extra_env: dict[str, str] | None = None, name: str = "authgate", core: int = SERVER_CORE,
) -> ServerProcess:
    """Start `authgate serve` pinned to the server core, with rate limiting off (the login
    limiter would otherwise cap the login figure at 60/minute)."""
    port = free_port()
    env = {
        **os.environ,
        "AUTHGATE_API_KEY": api_key,
        "AUTHGATE_RATE_LIMIT_STORAGE": "",
        "AUTHGATE_LOG_LEVEL": "warning",
        **(extra_env or {}),
    }
    if database_url:
        env["AUTHGATE_DATABASE_URL"] = database_url
    else:
        env.pop("AUTHGATE_DATABASE_URL", None)
    cmd = pinned([*authgate_command(), "serve", "--host", "127.0.0.1", "--port", str(port),
                  "--data-dir", str(data_dir)], core)
    server = ServerProcess(name, cmd, port=port, ready_path="/health/ready",
                           log_path=log_dir / f"{name}.log", env=env, cwd=REPO_ROOT)
    return server.start(timeout=90)


@dataclass
class Provisioned:
    base_url: str
    api_key: str
    application_id: str
    client_id: str
    client_secret: str
    users: list[str] = field(default_factory=list)  # login ids
    password: str = PASSWORD


def _check(response: httpx.Response, what: str) -> dict:
    if response.status_code >= 300:
        raise RuntimeError(f"{what}: {response.status_code} {response.text[:300]}")
    return response.json() if response.content else {}


def provision(base_url: str, api_key: str, *, users: int) -> Provisioned:
    """One application (refresh tokens on, OneTimeUse rotation, OAuth grants) and `users`
    registered users, through FusionAuth's admin API."""
    headers = {"Authorization": api_key}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
        app = _check(client.post("/api/application", json={"application": {
            "name": f"bench-{secrets.token_hex(3)}",
            "loginConfiguration": {"generateRefreshTokens": True, "requireAuthentication": False},
            "jwtConfiguration": {"enabled": True, "refreshTokenUsagePolicy": "OneTimeUse",
                                 "timeToLiveInSeconds": 3600, "refreshTokenTimeToLiveInMinutes": 43200},
            "oauthConfiguration": {
                "clientSecret": CLIENT_SECRET,
                "enabledGrants": ["authorization_code", "refresh_token", "client_credentials", "password"],
                "requireClientAuthentication": True,
                "authorizedRedirectURLs": ["http://127.0.0.1/callback"],
            },
        }}), "create application")["application"]
        oauth = app.get("oauthConfiguration") or {}
        result = Provisioned(
            base_url=base_url, api_key=api_key, application_id=app["id"],
            client_id=oauth.get("clientId") or app["id"],
            client_secret=oauth.get("clientSecret") or CLIENT_SECRET,
        )
    result.users = [login_id for login_id, _ in provision_users(result, users)]
    return result


def provision_users(p: Provisioned, count: int, *, prefix: str = "bench") -> list[tuple[str, str]]:
    """`count` more users registered to the application: [(login id, user id)]."""
    made = []
    with httpx.Client(base_url=p.base_url, headers={"Authorization": p.api_key}, timeout=60) as client:
        for i in range(count):
            email = f"{prefix}{i}-{secrets.token_hex(3)}@example.com"
            answer = _check(client.post("/api/user/registration", json={
                "user": {"email": email, "password": PASSWORD},
                "registration": {"applicationId": p.application_id},
                "skipVerification": True,  # verified: /api/login answers 200, not 212 (and no email queued)
            }), "create user")
            made.append((email, answer["user"]["id"]))
    return made


def login(client: httpx.Client, p: Provisioned, login_id: str) -> dict:
    return _check(client.post(p.base_url + "/api/login", json={
        "loginId": login_id, "password": p.password, "applicationId": p.application_id}), "login")
