"""Every OAuth 2 route but the authorize endpoint, gathered into one router `web/app.py` includes
(the OpenID Connect ones, which build on these, are listed there: oidc imports oauth2, never the
reverse; so is the authorize endpoint, ui/authorize.py, which shows the hosted pages)."""
from __future__ import annotations

from fastapi import APIRouter

from authgate.oauth2 import introspection, revocation, token

router = APIRouter()
for module in (token, introspection, revocation):
    router.include_router(module.router)
