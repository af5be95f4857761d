"""Client authentication at the token, introspection and revocation endpoints (RFC 6749 sections
2.3.1 and 3.2.1; OpenID Connect Core 9).

Methods: `client_secret_basic` (HTTP Basic, form-urlencoded id and secret), `client_secret_post`
(body), or `none` for public clients (`requireClientAuthentication: false`), which then must use
PKCE. One request uses one method only. Secrets are compared in constant time. Every failure is
the same `invalid_client` for the client; the log says which check failed.
"""
from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass
from urllib.parse import unquote_plus

from fastapi import Request

from authgate.errors import InvalidClient, InvalidRequest
from authgate.oauth2.clients import Client, find_client
from authgate.oauth2.params import Params
from authgate.registry import Registry

_GENERIC = "Client authentication failed."


@dataclass(frozen=True)
class AuthenticatedClient:
    client: Client
    method: str  # client_secret_basic | client_secret_post | none


def _basic(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if header[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        raw_id, raw_secret = decoded.split(":", 1)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidClient(_GENERIC, detail="malformed Basic header",
                            headers={"WWW-Authenticate": 'Basic realm="authgate"'}) from None
    return unquote_plus(raw_id), unquote_plus(raw_secret)


async def authenticate(reg: Registry, request: Request, params: Params, *, allow_public: bool = True) -> AuthenticatedClient:
    basic = _basic(request)
    body_id, body_secret = params.get("client_id"), params.get("client_secret")
    if basic is not None and body_secret is not None:
        raise InvalidRequest("Use only one client authentication method.", detail="basic and client_secret_post both sent")
    if basic is not None:
        client_id, secret, method = basic[0], basic[1], "client_secret_basic"
        if body_id is not None and body_id != client_id:
            raise InvalidRequest("client_id does not match the authenticated client.", detail="body client_id != basic id")
    elif body_secret is not None:
        client_id, secret, method = body_id, body_secret, "client_secret_post"
    else:
        client_id, secret, method = body_id, None, "none"
    headers = {"WWW-Authenticate": 'Basic realm="authgate"'} if basic is not None else {}
    if not client_id:
        raise InvalidClient(_GENERIC, detail="no client_id", headers=headers)
    client = await find_client(reg, client_id)
    if client is None:
        raise InvalidClient(_GENERIC, detail=f"unknown client {client_id[:64]!r}", headers=headers)
    if secret is not None:
        expected = (client.secret or "").encode()
        if not client.secret or not hmac.compare_digest(secret.encode(), expected):
            raise InvalidClient(_GENERIC, detail=f"wrong secret for {client.client_id}", headers=headers)
    elif not client.public:
        raise InvalidClient(_GENERIC, detail=f"confidential client {client.client_id} sent no secret", headers=headers)
    elif not allow_public:
        raise InvalidClient(_GENERIC, detail=f"public client {client.client_id} may not call this endpoint", headers=headers)
    return AuthenticatedClient(client, method)
