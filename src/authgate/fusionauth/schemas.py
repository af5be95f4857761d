"""Request bodies of the FusionAuth-compatible endpoints (camelCase, unknown fields tolerated)."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class _Body(BaseModel):
    model_config = ConfigDict(extra="allow", str_max_length=4096)


class LoginRequest(_Body):
    loginId: str | None = None
    password: str | None = None
    applicationId: str | None = None
    noJWT: bool = False
    ipAddress: str | None = None
    metaData: dict[str, Any] | None = None


class RefreshRequest(_Body):
    refreshToken: str | None = None
    token: str | None = None


class LogoutRequest(_Body):
    refreshToken: str | None = None
    global_: bool | None = None
