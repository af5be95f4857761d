"""The backend as an OAuth client of the IdP (code-pkce-cookie and bff modes).

RFC 6749 section 4.1 (authorization code), RFC 7636 (PKCE, S256 only), section 6 (refresh),
RFC 7009 (revocation). The browser is sent to the IdP's *public* URL; the token calls go
server-to-server to its *internal* URL, authenticated with client_secret_basic.
"""
from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from typing import Any
from urllib.parse import urlencode

import httpx

from .config import ExampleConfig

log = logging.getLogger(__name__)

# offline_access: FusionAuth issues a refresh token on the code grant only when asked for it.
SCOPE = "openid offline_access"


class TokenEndpointError(Exception):
    """The IdP refused a grant (bad code, expired or revoked refresh token) or was unreachable."""


def new_pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)  # 64 chars, within RFC 7636's 43..128
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


class OAuthClient:
    def __init__(self, cfg: ExampleConfig, http: httpx.AsyncClient) -> None:
        self._cfg = cfg
        self._http = http

    def authorize_url(self, *, state: str, nonce: str, code_challenge: str) -> str:
        query = urlencode({
            "client_id": self._cfg.client_id,
            "response_type": "code",
            "redirect_uri": self._cfg.callback_uri,
            "scope": SCOPE,
            "state": state,
            "nonce": nonce,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        })
        return f"{self._cfg.idp_public_url.rstrip('/')}/oauth2/authorize?{query}"

    async def exchange_code(self, code: str, verifier: str) -> dict[str, Any]:
        return await self._token_request({
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": self._cfg.callback_uri,
        })

    async def refresh(self, refresh_token: str) -> dict[str, Any]:
        return await self._token_request({"grant_type": "refresh_token", "refresh_token": refresh_token})

    async def revoke(self, refresh_token: str) -> None:
        """Best effort: logging out locally must work even when the IdP is down."""
        try:
            await self._http.post(self._url("/oauth2/revoke"), auth=self._auth(), timeout=5.0,
                                  data={"token": refresh_token, "token_type_hint": "refresh_token"})
        except httpx.HTTPError as exc:
            log.warning("refresh token revocation failed: %r", exc)

    def logout_url(self) -> str:
        """Where the browser goes to end the IdP's SSO session too (OIDC RP-initiated logout)."""
        query = urlencode({"client_id": self._cfg.client_id, "post_logout_redirect_uri": self._cfg.origin + "/"})
        return f"{self._cfg.idp_public_url.rstrip('/')}/oauth2/logout?{query}"

    async def _token_request(self, form: dict[str, str]) -> dict[str, Any]:
        try:
            response = await self._http.post(self._url("/oauth2/token"), data=form, auth=self._auth(), timeout=10.0)
        except httpx.HTTPError as exc:
            raise TokenEndpointError(f"IdP unreachable: {exc!r}") from exc
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or not isinstance(body, dict) or "access_token" not in body:
            raise TokenEndpointError(f"{response.status_code} {body.get('error') if isinstance(body, dict) else ''}")
        return body

    def _url(self, path: str) -> str:
        return self._cfg.idp_internal_url.rstrip("/") + path

    def _auth(self) -> httpx.BasicAuth:
        return httpx.BasicAuth(self._cfg.client_id, self._cfg.client_secret)
