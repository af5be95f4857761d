"""Rendering errors in the caller's protocol: FusionAuth's shape on /api, RFC 6749 on /oauth2.

Nothing internal reaches a client: unexpected exceptions are logged with their traceback and
answered with a generic 500 body.
"""
from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from authgate.errors import ApiError, InvalidRequest, OAuthError

log = logging.getLogger("authgate.errors")


def speaks_oauth(path: str) -> bool:
    """Which error shape a path answers in: RFC 6749's on /oauth2, FusionAuth's elsewhere."""
    return path.startswith("/oauth2")


def _is_oauth(request: Request) -> bool:
    return speaks_oauth(request.scope["path"])


def api_error_response(exc: ApiError) -> Response:
    body = exc.body()
    if body is None:
        return Response(status_code=exc.status, headers=exc.headers)
    return JSONResponse(body, status_code=exc.status, headers=exc.headers)


def oauth_error_response(exc: OAuthError) -> Response:
    headers = dict(exc.headers)
    if exc.status_code == 401 and "WWW-Authenticate" not in headers:
        headers["WWW-Authenticate"] = f'Basic realm="authgate", error="{exc.error}"'
    return JSONResponse(exc.body(), status_code=exc.status_code, headers=headers)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts)


def validation_to_api_error(errors: list[dict[str, Any]]) -> ApiError:
    fields: dict[str, list[dict[str, str]]] = {}
    general: list[dict[str, str]] = []
    for err in errors:
        kind = err.get("type", "")
        name = _field_name(tuple(err.get("loc", ())))
        if kind == "json_invalid":
            general.append({"code": "[invalid]json", "message": "The request body is not valid JSON."})
        elif not name:
            general.append({"code": "[invalid]request", "message": "The request body must be a JSON object."})
        else:
            code = "blank" if kind == "missing" else "invalid"
            msg = f"You must specify the [{name}] field." if code == "blank" else f"The [{name}] field is invalid: {err.get('msg', '')}."
            fields.setdefault(name, []).append({"code": f"[{code}]{name}", "message": msg})
    return ApiError(400, field_errors=fields, general_errors=general)


class Answer(Exception):
    """Stop handling a request and send this response: raised where a handler cannot return one
    (a FastAPI dependency refusing a console page with a login redirect, a 401 or a 403)."""

    def __init__(self, response: Response) -> None:
        self.response = response


def install(app: FastAPI) -> None:
    @app.exception_handler(Answer)
    async def _answer(_: Request, exc: Answer) -> Response:
        return exc.response

    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> Response:
        if exc.detail:
            log.info("api error %s: %s", exc.status, exc.detail)
        return api_error_response(exc)

    @app.exception_handler(OAuthError)
    async def _oauth(_: Request, exc: OAuthError) -> Response:
        if exc.detail:
            log.info("oauth error %s: %s", exc.error, exc.detail)
        return oauth_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        if _is_oauth(request):
            names = sorted({_field_name(tuple(e.get("loc", ()))) or "request" for e in exc.errors()})
            return oauth_error_response(InvalidRequest(f"Invalid or missing parameter(s): {', '.join(names)}."))
        return api_error_response(validation_to_api_error(list(exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_oauth(request):
            # Keep the route's headers (405's Allow, RFC 9110 section 15.5.6) in the OAuth shape too.
            err = InvalidRequest(str(exc.detail), status_code=exc.status_code, headers=dict(getattr(exc, "headers", None) or {}))
            return oauth_error_response(err)
        code = {404: "[NotFound]", 405: "[MethodNotAllowed]", 413: "[RequestTooLarge]"}.get(exc.status_code, "[Error]")
        return JSONResponse({"generalErrors": [{"code": code, "message": str(exc.detail)}]},
                            status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(DBAPIError)
    async def _unstorable(request: Request, exc: DBAPIError) -> Response:
        # SQLSTATE class 22 (data exception): the input cannot be stored or compared as given, e.g. a
        # NUL character (22021) or a value longer than its column (22001) on PostgreSQL. The client's fault.
        if not str(getattr(exc.orig, "sqlstate", None) or "").startswith("22"):
            return await _unexpected(request, exc)
        log.info("refused unstorable input on %s %s: %s", request.method, request.url.path, str(exc.orig)[:200])
        if _is_oauth(request):
            return oauth_error_response(InvalidRequest("A parameter contains characters or a length that is not allowed."))
        return JSONResponse({"generalErrors": [{"code": "[invalid]request",
                                                "message": "A field contains characters or a length that is not allowed."}]},
                            status_code=400)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        if _is_oauth(request):
            return JSONResponse({"error": "server_error", "error_description": "An unexpected error occurred."},
                                status_code=500)
        return JSONResponse({"generalErrors": [{"code": "[InternalError]", "message": "An unexpected error occurred."}]},
                            status_code=500)


def is_json_content_type(value: str) -> bool:
    media = value.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def read_json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object, or a FusionAuth 400 (empty, not JSON, not an object, too deep).

    A body sent with another declared type, or with none, is refused: an HTML form on another site
    can post `text/plain` that happens to be JSON, and a `no-cors` fetch a Blob with no type at all,
    without a CORS preflight (login CSRF, cookies cleared by a forged logout); neither can send
    `application/json`. Endpoints that touch cookies also call web/cross_site.py."""
    raw = await request.body()
    if not raw.strip():
        return {}
    declared = request.headers.get("content-type")
    if declared is None or not is_json_content_type(declared):
        raise ApiError(400, general_errors=[{"code": "[invalid]contentType",
                                             "message": "The request body must be JSON (Content-Type: application/json)."}],
                       detail=f"content-type {(declared or '')[:60]!r}")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, general_errors=[{"code": "[invalid]json", "message": "The request body is not valid JSON."}],
                       detail=str(exc)[:200]) from None
    if not isinstance(data, dict):
        raise ApiError(400, general_errors=[{"code": "[invalid]request", "message": "The request body must be a JSON object."}])
    try:
        # "\ud800" is valid JSON syntax but no Unicode text (RFC 8259 section 8.2): it would fail later,
        # when hashed or stored, as a 500. Only a \u escape can make one (UTF-8 input cannot).
        if b"\\u" in raw:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(400, general_errors=[{"code": "[invalid]json", "message": "The request body is not valid Unicode."}],
                       detail="lone surrogate in a JSON string") from None
    return data
