"""JSON errors in RFC 6749/6750 shape: {"error": ..., "error_description": ...}."""
from __future__ import annotations

import logging

from fastapi import Request
from fastapi.responses import JSONResponse

from .jwt_verifier import TokenRejected

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status_code: int, error: str, description: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.status_code = status_code
        self.error = error
        self.description = description
        self.headers = headers or {}


def not_logged_in() -> ApiError:
    # RFC 6750 3.1: a request without credentials gets the bare challenge, no error code.
    return ApiError(401, "unauthorized", "Log in first", {"WWW-Authenticate": 'Bearer'})


async def api_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return JSONResponse({"error": exc.error, "error_description": exc.description}, exc.status_code,
                        headers={"Cache-Control": "no-store", **exc.headers})


async def token_rejected_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TokenRejected)
    log.info("JWT rejected on %s: %s", request.url.path, exc.detail)
    challenge = f'Bearer error="invalid_token", error_description="{exc.description}"'
    return JSONResponse({"error": exc.error, "error_description": exc.description}, exc.status_code,
                        headers={"WWW-Authenticate": challenge, "Cache-Control": "no-store"})
