"""Every console router, in one place (web/app.py includes `router`)."""
from __future__ import annotations

from importlib import import_module

from fastapi import APIRouter

PAGES = ("login", "overview", "applications", "users", "keys", "activity", "webhooks")

router = APIRouter()
for _name in PAGES:
    router.include_router(import_module(f"authgate.admin.{_name}").router)
