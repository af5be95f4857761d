"""Error classes carried to the edge and rendered in the caller's protocol.

Each error has a public part (what the client sees) and an optional private `detail` that is
only logged (node-oidc-provider's habit): clients never learn more than they need.
"""
from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A FusionAuth-shaped error: `{"fieldErrors": {...}, "generalErrors": [...]}`."""

    def __init__(
        self,
        status: int,
        field_errors: dict[str, list[dict[str, str]]] | None = None,
        general_errors: list[dict[str, str]] | None = None,
        detail: str = "",
        headers: dict[str, str] | None = None,
        empty_body: bool = False,
    ) -> None:
        super().__init__(detail or f"API error {status}")
        self.status = status
        self.field_errors = field_errors or {}
        self.general_errors = general_errors or []
        self.detail = detail
        self.headers = headers or {}
        self.empty_body = empty_body

    def body(self) -> dict[str, Any] | None:
        if self.empty_body:
            return None
        out: dict[str, Any] = {}
        if self.field_errors:
            out["fieldErrors"] = self.field_errors
        if self.general_errors:
            out["generalErrors"] = self.general_errors
        return out


def field_error(field: str, code: str, message: str, status: int = 400) -> ApiError:
    """One field error; `code` is FusionAuth's kind, e.g. "blank" -> "[blank]loginId"."""
    return ApiError(status, field_errors={field: [{"code": f"[{code}]{field}", "message": message}]})


def general_error(status: int, code: str, message: str, detail: str = "") -> ApiError:
    return ApiError(status, general_errors=[{"code": code, "message": message}], detail=detail)


def not_found(what: str = "resource") -> ApiError:
    return ApiError(404, general_errors=[{"code": "[NotFound]", "message": f"The {what} was not found."}])


# Optimistic read-modify-write (compare-and-set on `version`): retries before answering `conflict()`.
MAX_UPDATE_ATTEMPTS = 5


def conflict() -> ApiError:
    """A 409: another request kept changing the object while this one tried to."""
    return ApiError(409, general_errors=[{"code": "[ConcurrentModification]",
                                          "message": "The object was modified by another request; retry."}])


def unauthorized() -> ApiError:
    return ApiError(401, general_errors=[{"code": "[Unauthorized]", "message": "A valid API key is required."}])


class OAuthError(Exception):
    """RFC 6749 section 5.2 error: `{"error", "error_description"}` (+ FusionAuth's `error_reason`)."""

    error = "invalid_request"
    status_code = 400

    def __init__(self, description: str = "", reason: str = "", detail: str = "", status_code: int | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail or description or self.error)
        self.description = description
        self.reason = reason
        self.detail = detail
        self.headers = headers or {}
        if status_code is not None:
            self.status_code = status_code

    def body(self) -> dict[str, str]:
        out = {"error": self.error}
        if self.description:
            out["error_description"] = self.description
        if self.reason:
            out["error_reason"] = self.reason
        return out


class InvalidRequest(OAuthError):
    error = "invalid_request"


class InvalidClient(OAuthError):
    error = "invalid_client"
    status_code = 401


class InvalidGrant(OAuthError):
    error = "invalid_grant"


class UnauthorizedClient(OAuthError):
    error = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    error = "unsupported_grant_type"


class UnsupportedResponseType(OAuthError):
    error = "unsupported_response_type"


class InvalidScope(OAuthError):
    error = "invalid_scope"


class AccessDenied(OAuthError):
    error = "access_denied"


class LoginRequired(OAuthError):
    error = "login_required"


class InteractionRequired(OAuthError):
    """OpenID Connect Core 3.1.2.6: logged in, but the user must act (here: a second factor)."""

    error = "interaction_required"


class InvalidToken(OAuthError):
    error = "invalid_token"
    status_code = 401


class InvalidDPoPProof(OAuthError):
    error = "invalid_dpop_proof"


class UseDPoPNonce(OAuthError):
    error = "use_dpop_nonce"


class ServerError(OAuthError):
    error = "server_error"
    status_code = 500
