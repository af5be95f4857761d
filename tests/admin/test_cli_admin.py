"""`authgate user create --admin` makes an administrator who can sign in to the console; without
the flag the same user is refused."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from authgate.cli import app
from authgate.registry import Registry
from authgate.web.app import create_app, start
from tests.admin.conftest import new_client, sign_in
from tests.conftest import make_settings


def _create(data_dir: Path, email: str, *flags: str) -> dict:
    result = CliRunner().invoke(app, ["user", "create", email, "--password", "correct horse battery staple",
                                      "--data-dir", str(data_dir), *flags])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output.strip().splitlines()[-1]))


@pytest.mark.parametrize("flags,status", [(("--admin",), 200), ((), 403)])
def test_cli_admin_flag(tmp_path: Path, flags: tuple[str, ...], status: int) -> None:
    settings = make_settings("sqlite", tmp_path, argon2_memory_kib=1024, argon2_time_cost=1)
    _create(settings.data_dir, "ops@example.com", *flags)  # the CLI runs its own event loop
    asyncio.run(_console_answer(settings, status))


async def _console_answer(settings: Any, status: int) -> None:
    reg = Registry(settings)
    await start(reg)
    try:
        async with new_client(create_app(settings, reg)) as c:
            assert (await sign_in(c, "ops@example.com")).status_code == 200
            assert (await c.get("/admin/users")).status_code == status
    finally:
        await reg.close()
