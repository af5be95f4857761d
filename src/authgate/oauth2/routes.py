"""Every OAuth 2 / OpenID Connect route, gathered into the one router `web/app.py` includes."""
from __future__ import annotations

from fastapi import APIRouter

from authgate.oauth2.authorize import endpoint as authorize
from authgate.oauth2 import introspection, revocation, token
from authgate.oidc import discovery, logout, userinfo

router = APIRouter()
for module in (authorize, token, introspection, revocation, userinfo, logout, discovery):
    router.include_router(module.router)
