"""Every OAuth 2 route, gathered into one router `web/app.py` includes (the OpenID Connect ones,
which build on these, are listed there: oidc imports oauth2, never the reverse)."""
from __future__ import annotations

from fastapi import APIRouter

from authgate.oauth2.authorize import endpoint as authorize
from authgate.oauth2 import introspection, revocation, token

router = APIRouter()
for module in (authorize, token, introspection, revocation):
    router.include_router(module.router)
