"""What the authorize checks read and fill in, and the two ways an authorize request can fail.

RFC 6749 section 4.1.2.1: while the client or its redirect URI is unknown the error is shown on
the IdP (`ErrorPage`); once both are trusted, errors are sent back to the redirect URI
(any `OAuthError` raised by a later step).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from authgate.errors import OAuthError
from authgate.oauth2.clients import Client
from authgate.oauth2.params import Params
from authgate.registry import Registry

# Parameters a browser may repeat in the authorize request, carried through the login form.
AUTHORIZE_PARAMS = ("client_id", "redirect_uri", "response_type", "response_mode", "state", "nonce", "scope",
                    "prompt", "max_age", "login_hint", "code_challenge", "code_challenge_method", "acr_values")


class ErrorPage(Exception):
    """An authorize error rendered on the IdP, never redirected. `detail` goes to the log only."""

    def __init__(self, message: str, detail: str, status: int = 400) -> None:
        super().__init__(detail)
        self.message, self.detail, self.status = message, detail, status


class RequestNotSupported(OAuthError):
    error = "request_not_supported"


class RequestUriNotSupported(OAuthError):
    error = "request_uri_not_supported"


@dataclass
class AuthorizeContext:
    reg: Registry
    request: Request
    params: Params
    client: Client | None = None
    redirect_uri: str | None = None
    state: str | None = None
    response_types: frozenset[str] = frozenset()
    response_mode: str = "query"  # where errors go until the request says otherwise
    scopes: tuple[str, ...] = ()
    nonce: str | None = None
    prompt: frozenset[str] = frozenset()
    max_age: int | None = None
    login_hint: str | None = None
    acr_values: tuple[str, ...] = ()
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def scope(self) -> str:
        return " ".join(self.scopes)

    @property
    def implicit(self) -> bool:
        return bool(self.response_types & {"token", "id_token"})

    def carried_params(self) -> dict[str, str]:
        """The authorize parameters to repeat as hidden fields of the login form."""
        return self.params.as_dict(AUTHORIZE_PARAMS)
