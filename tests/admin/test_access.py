"""Who gets in: administrators only; everyone else gets 403 (signed in) or the login (anonymous)."""
from __future__ import annotations

from tests.admin.conftest import Console


async def test_admin_sees_the_overview(console: Console) -> None:
    r = await console.admin.get("/admin/")
    assert r.status_code == 200
    assert "Overview" in r.text and 'id="count-users">2<' in r.text


async def test_plain_user_gets_403(console: Console) -> None:
    r = await console.user.get("/admin/")
    assert r.status_code == 403 and "Not an administrator" in r.text
