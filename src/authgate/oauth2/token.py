"""`POST /oauth2/token` (RFC 6749 section 3.2): read the form strictly, authenticate the client,
check the DPoP proof if any (RFC 9449 section 5), dispatch on `grant_type`.

Responses are never cached (section 5.1; web/no_store.py). A grant must be enabled for the client
(`enabledGrants`), else `unauthorized_client`.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from authgate.shapes import Shape, form_body
from authgate.errors import InvalidRequest, UnauthorizedClient, UnsupportedGrantType
from authgate.oauth2 import client_auth, dpop, params as oauth_params
from authgate.oauth2.clients import Client
from authgate.oauth2.grants import authorization_code, client_credentials, password, refresh_token
from authgate.oauth2.params import Params
from authgate.registry import Registry
from authgate.web.context import registry

router = APIRouter()

Grant = Callable[[Registry, Client, Params, "str | None"], Awaitable[dict[str, Any]]]
GRANTS: dict[str, Grant] = {
    "authorization_code": authorization_code.grant,
    "refresh_token": refresh_token.grant,
    "client_credentials": client_credentials.grant,
    "password": password.grant,
}
# The parameters the grants above read (RFC 6749 sections 4.1.3, 4.3.2, 4.4.2, 6; RFC 7636 4.5).
TOKEN_FORM = Shape({"grant_type": str, "code": str, "redirect_uri": str, "code_verifier": str, "refresh_token": str,
                    "scope": str, "username": str, "password": str, "client_id": str, "client_secret": str},
                   required=("grant_type",), enums={"grant_type": tuple(GRANTS)})


@router.post("/oauth2/token", openapi_extra=form_body(TOKEN_FORM))
async def token(request: Request) -> JSONResponse:
    reg = registry(request)
    params = await oauth_params.read(request, query=False, declared=TOKEN_FORM)
    params.check_all()
    grant_type = params.get("grant_type")
    if grant_type is None:
        raise InvalidRequest("The grant_type parameter is required.")
    handler = GRANTS.get(grant_type)
    if handler is None:
        raise UnsupportedGrantType("The grant_type is not supported.", detail=f"grant_type {grant_type[:50]!r}")
    client = (await client_auth.authenticate(reg, request, params)).client
    if grant_type not in client.grants:
        raise UnauthorizedClient("The client may not use this grant type.",
                                 detail=f"{grant_type} not enabled for {client.client_id}")
    jkt = await dpop.verify_proof_for_request(reg, request) if "dpop" in request.headers else None
    return JSONResponse(await handler(reg, client, params, jkt))
