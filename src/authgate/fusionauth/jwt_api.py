"""FusionAuth JWT API: `/api/jwt/refresh` (exchange, list, revoke), `/api/jwt/validate`,
`/api/jwt/public-key`, and `/api/logout`."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from authgate import refresh_tokens
from authgate.clock import clock
from authgate.errors import ApiError, InvalidToken, field_error, not_found
from authgate.fusionauth.auth import api_key, registry, require_api_key
from authgate.shapes import Body, Shape
from authgate.tokens import jwt
from authgate.tokens.policy import token_policy
from authgate.tokens.refresh import RefreshError, exchange
from authgate.tokens.validation import validate_access_token
from authgate.web import cookies, cross_site
from authgate.web.bodies import declares, read_body

router = APIRouter()

_REFRESH_MESSAGES = {
    "not_found": "The refresh token is invalid or does not exist.",
    "expired": "The refresh token has expired.",
    "revoked": "The refresh token has been revoked.",
    "reused": "The refresh token was already used; every token of its session has been revoked.",
    "inactive": "The user or application is no longer active.",
    "not_registered": "The user is not registered for the application.",
    "dpop_mismatch": "The refresh token is bound to a different DPoP key.",
    "wrong_client": "The refresh token was not issued to this client.",
}


# The bodies these handlers read (both also take the refresh token from the refresh_token cookie).
REFRESH = Body(Shape({"refreshToken": str}))
LOGOUT = Body(Shape({"refreshToken": str, "global": bool}))


def refresh_error(exc: RefreshError) -> ApiError:
    return ApiError(400, field_errors={"refreshToken": [{"code": "[invalid]refreshToken",
                                                         "message": _REFRESH_MESSAGES.get(exc.reason, "Invalid refresh token.")}]},
                    detail=f"refresh refused: {exc.reason}")


@router.post("/api/jwt/refresh")
@declares(REFRESH)
async def refresh_jwt(request: Request) -> Response:
    reg = registry(request)
    await cross_site.guard(request, sets_cookies=True)
    body = await read_body(request)
    token = cookies.read(request, cookies.REFRESH_TOKEN) or body.get("refreshToken")
    if not token or not isinstance(token, str):
        raise field_error("refreshToken", "blank", "You must specify the [refreshToken] in the body or the refresh_token cookie.")
    dpop_jkt = None
    if request.headers.get("dpop"):
        from authgate.oauth2.dpop import verify_proof_for_request  # DPoP is optional on this FusionAuth endpoint
        dpop_jkt = await verify_proof_for_request(reg, request)
    try:
        result = await exchange(reg, token, dpop_jkt=dpop_jkt)
    except RefreshError as exc:
        raise refresh_error(exc) from None
    response = JSONResponse({"token": result.token, "refreshToken": result.refresh_token,
                             "refreshTokenId": result.refresh_token_id})
    cookies.set_cookie(request, response, cookies.ACCESS_TOKEN, result.token, max_age=None)
    if result.rotated:
        max_age = (result.row["expires_instant"] - clock.now_ms()) // 1000
        cookies.set_cookie(request, response, cookies.REFRESH_TOKEN, result.refresh_token, max_age=max_age)
    return response


def _token_json(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "userId": row["user_id"], "applicationId": row["application_id"],
            "insertInstant": row["insert_instant"], "startInstant": row["start_instant"],
            "expirationInstant": row["expires_instant"], "metaData": row["doc"].get("metaData") or {}}


@router.get("/api/jwt/refresh", dependencies=[Depends(require_api_key)])
async def list_refresh_tokens(request: Request, userId: str | None = None) -> Response:
    if not userId:
        raise field_error("userId", "blank", "You must specify the [userId] parameter.")
    rows = await registry(request).db.refresh_tokens.live_for_user(userId)
    return JSONResponse({"refreshTokens": [_token_json(r) for r in rows]})


@router.get("/api/jwt/refresh/{token_id}", dependencies=[Depends(require_api_key)])
async def get_refresh_token(request: Request, token_id: str) -> Response:
    row = await registry(request).db.refresh_tokens.get(token_id)
    if row is None:
        raise not_found("refresh token")
    return JSONResponse({"refreshToken": _token_json(row)})


@router.delete("/api/jwt/refresh")
@router.delete("/api/jwt/refresh/{token_id}")
async def revoke_refresh_tokens(request: Request, token_id: str | None = None, tokenId: str | None = None,
                                userId: str | None = None, applicationId: str | None = None,
                                token: str | None = None) -> Response:
    reg = registry(request)
    token_id = token_id or tokenId
    if token:
        # Holding the token proves the right to revoke it; no API key needed (RFC 7009 in spirit).
        await refresh_tokens.revoke_by_value(reg, token)
        return Response(status_code=200)
    if await api_key(request) is None:
        raise ApiError(401, general_errors=[{"code": "[Unauthorized]", "message": "A valid API key is required."}])
    if token_id:
        await refresh_tokens.revoke_by_id(reg, token_id)
    elif userId or applicationId:
        await refresh_tokens.revoke_for(reg, userId, applicationId)
    else:
        raise ApiError(400, general_errors=[{"code": "[missing]parameter",
                                             "message": "Specify one of tokenId, token, userId or applicationId."}])
    return Response(status_code=200)


@router.get("/api/jwt/validate")
async def validate(request: Request) -> Response:
    """A token in the Authorization header is presented as at every resource (oauth2/bearer.py): a
    DPoP-bound one needs the DPoP scheme and a proof of its key (RFC 9449 section 7.1). A cookie
    carries no proof, so a bound token in the access_token cookie is refused."""
    from authgate.oauth2.bearer import authorized_claims, is_bound  # bearer imports this module

    reg = registry(request)
    if request.headers.get("authorization"):
        try:
            claims = await authorized_claims(reg, request)
        except InvalidToken:
            return Response(status_code=401)
        return JSONResponse({"jwt": claims})
    token = cookies.read(request, cookies.ACCESS_TOKEN)
    if not token:
        return Response(status_code=401)
    try:
        claims = await validate_access_token(reg, token)
    except jwt.TokenInvalid:
        return Response(status_code=401)
    if is_bound(claims):
        return Response(status_code=401)
    return JSONResponse({"jwt": claims})


@router.get("/api/jwt/public-key")
async def public_key(request: Request, applicationId: str | None = None, kid: str | None = None) -> Response:
    reg = registry(request)
    if applicationId:
        app = await reg.apps.get(applicationId)
        if app is None:
            raise not_found("application")
        key = await reg.keys.signing_key(token_policy(reg, app).key_id)
        return JSONResponse({"publicKey": key.row["public_pem"]})
    if kid:
        key = await reg.keys.get(kid)
        if key is None or key.algorithm == "HS256":
            raise not_found("key")
        return JSONResponse({"publicKey": key.row["public_pem"]})
    keys = [await reg.keys.get(k["kid"]) for k in (await reg.keys.jwks())["keys"]]
    return JSONResponse({"publicKeys": {k.kid: k.row["public_pem"] for k in keys if k is not None}})


@router.post("/api/logout")
@declares(LOGOUT)
async def logout(request: Request, refreshToken: str | None = None, global_: bool = False) -> Response:
    reg = registry(request)
    # Clearing cookies the request did not carry changes nothing: only a call with them is checked.
    await cross_site.guard(request, sets_cookies=False)
    body = await read_body(request)
    token = cookies.read(request, cookies.REFRESH_TOKEN) or body.get("refreshToken") or refreshToken
    is_global = bool(body.get("global")) or global_ or request.query_params.get("global") == "true"
    if isinstance(token, str) and token:
        await refresh_tokens.logout(reg, token, everywhere=is_global)
    response = Response(status_code=200)
    cookies.clear_cookie(request, response, cookies.ACCESS_TOKEN)
    cookies.clear_cookie(request, response, cookies.REFRESH_TOKEN)
    return response
