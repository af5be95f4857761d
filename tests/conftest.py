"""Fixtures shared by the whole suite.

`registry` runs every test that uses it twice: on an SQLite file and on PostgreSQL (a fresh
schema per test on the machine's server at 127.0.0.1:5432). PostgreSQL tests are skipped, with
the reason shown, only when that server is absent.
"""
from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import make_url

from authgate.config import Settings
from authgate.registry import Registry
from authgate.web.app import create_app, start

PG_URL = os.environ.get("AUTHGATE_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
# The same server for asyncpg directly (libpq form: no driver name).
PG_DSN = make_url(PG_URL).set(drivername="postgresql").render_as_string(hide_password=False)
API_KEY = "test-superuser-api-key-0123456789abcdef"
IDP = "http://idp.authgate.localhost:9011"


async def _pg_available() -> str | None:
    import asyncpg

    try:
        conn = await asyncpg.connect(PG_DSN, timeout=3)
    except (OSError, asyncpg.PostgresError, asyncio.TimeoutError) as exc:
        return f"PostgreSQL not reachable at {PG_URL}: {exc}"
    await conn.close()
    return None


_pg_reason: list[str | None] = []


def pg_skip_reason() -> str | None:
    if not _pg_reason:
        _pg_reason.append(asyncio.run(_pg_available()))
    return _pg_reason[0]


async def _pg_exec(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def make_settings(backend: str, tmp_path: Path, schema: str | None = None, **overrides: Any) -> Settings:
    # The fixtures' users have well-known passwords ("password", "password123"): the common-password
    # rule is off here and on in tests/lifecycle/test_password_policy.py, which is about it.
    base: dict[str, Any] = {"data_dir": tmp_path / "data", "api_key": API_KEY, "issuer": IDP,
                            "rate_limit_storage": "", "password_reject_common": False}
    if backend == "postgres":
        base.update(database_url=PG_URL, database_schema=schema)
    base.update(overrides)
    return Settings(**base)


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def backend_of(request: pytest.FixtureRequest) -> str:
    """The backend a `params=BACKENDS` fixture runs with; PostgreSQL skipped when unreachable."""
    if request.param == "postgres":
        reason = pg_skip_reason()
        if reason:
            pytest.skip(reason)
    return str(request.param)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return backend_of(request)


@asynccontextmanager
async def idp_database(backend: str) -> AsyncIterator[dict[str, Any]]:
    """Settings for a whole IdP's database: SQLite in its own directory ({}), or a fresh
    PostgreSQL schema, dropped afterwards."""
    if backend == "sqlite":
        yield {}
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    await _pg_exec(f"CREATE SCHEMA {schema}")
    try:
        yield {"database_url": PG_URL, "database_schema": schema}
    finally:
        await _pg_exec(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module to change settings for its registry."""
    return {}


@pytest.fixture
async def registry(backend: str, tmp_path: Path, settings_overrides: dict[str, Any]) -> AsyncIterator[Registry]:
    schema = f"t_{uuid.uuid4().hex[:12]}" if backend == "postgres" else None
    if schema:
        await _pg_exec(f"CREATE SCHEMA {schema}")
    reg = Registry(make_settings(backend, tmp_path, schema, **settings_overrides))
    await start(reg)
    try:
        yield reg
    finally:
        await reg.close()
        if schema:
            await _pg_exec(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
async def client(registry: Registry) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(registry.settings, registry)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=IDP) as c:
        yield c


@pytest.fixture
def admin() -> dict[str, str]:
    return {"Authorization": API_KEY}


@pytest.fixture(autouse=True)
def _reset_clock() -> Any:
    """Tests move time with clock.advance(); put it back afterwards."""
    from authgate.clock import clock

    saved = clock._offset
    yield clock
    clock._offset = saved


@pytest.fixture(autouse=True)
def _restore_logging() -> Any:
    """A CLI command run in-process routes every logger through its own queue to stderr
    (authgate/logs.py) and drops the handlers pytest installed; give them back afterwards."""
    import logging

    from authgate import logs

    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    yield
    if logs._listener is not None:
        logs._stop()
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
