"""The served OpenAPI document (`/openapi.json`), completed with what FastAPI cannot infer.

Most handlers read their JSON or form body themselves (FusionAuth tolerates unknown fields and
reports every bad field at once). A JSON body is declared once, on its endpoint
(web/bodies.declares), and read through that declaration (web/bodies.read_body): this module
publishes the declaration as the operation's request body, so the document shows what the
handler checks. OAuth form bodies are declared on the route (`openapi_extra`) from the shape
whose fields the handler reads. The API-key security scheme comes from the API-key dependency
(fusionauth/auth.py). This module also adds what is common: tags with descriptions,
FusionAuth's `{fieldErrors, generalErrors}` on `/api`, RFC 6749 section 5.2's
`{error, error_description}` on `/oauth2`, and the responses without a body. Clients, `/docs` and the schemathesis suite in tests/security read the result.
"""
from __future__ import annotations

from typing import Any

from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from authgate.shapes import Body
from authgate.web.bodies import declared

_ERROR = {"type": "object", "required": ["code", "message"],
          "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}
FUSIONAUTH_ERRORS = {"type": "object", "additionalProperties": False, "properties": {
    "fieldErrors": {"type": "object", "additionalProperties": {"type": "array", "items": _ERROR}},
    "generalErrors": {"type": "array", "items": _ERROR}}}
# RFC 6749 section 5.2: error codes are printable ASCII without '"' and '\'.
OAUTH_ERROR = {"type": "object", "required": ["error"], "properties": {
    "error": {"type": "string", "pattern": "^[\\x20\\x21\\x23-\\x5B\\x5D-\\x7E]+$"},
    "error_description": {"type": "string"}, "error_reason": {"type": "string"}, "error_uri": {"type": "string"}}}

_OBJ: dict[str, Any] = {"type": "object"}
# Tags: the first path prefix that matches names an operation's group.
TAGS: tuple[tuple[str, str, str], ...] = (
    ("/api/login", "Login", "FusionAuth's Login API: credentials in, a JWT and a refresh token out."),
    ("/api/logout", "Login", ""),
    ("/api/jwt", "JWT", "Refresh, validate and revoke tokens; public keys."),
    ("/api/user/two-factor", "Multi-factor", "TOTP, recovery codes and WebAuthn passkeys (second factors and passkey login)."),
    ("/api/two-factor", "Multi-factor", ""),
    ("/api/webauthn", "Multi-factor", ""),
    ("/api/user/registration", "Registrations", "A user's membership of an application, with roles."),
    ("/api/user", "Users", "Users: create, retrieve, update, delete, search, import. API key."),
    ("/api/application", "Applications", "Applications (OAuth clients) and their roles. API key."),
    ("/api/key", "Keys", "Signing keys: generate, rotate, delete. API key."),
    ("/api/api-key", "API keys", "API keys, optionally limited to endpoints. Superuser API key."),
    ("/api/system", "System", "Audit log and login records. API key."),
    ("/api/webhook", "Webhooks", "Webhooks and their delivery outbox. API key."),
    ("/oauth2", "OAuth 2 / OIDC", "RFC 6749, 7636, 7009, 7662, 9449 and OpenID Connect endpoints."),
    ("/.well-known", "OAuth 2 / OIDC", ""),
    ("/health", "Operations", "Liveness, readiness and metrics."),
    ("/metrics", "Operations", ""),
)


def _tag(path: str) -> str | None:
    return next((tag for prefix, tag, _ in TAGS if path == prefix or path.startswith(prefix + "/")), None)


# Answers without a body: FusionAuth's bodyless 200s and its deliberately empty login 404.
_EMPTY = {"description": "No body."}
_BODYLESS = {("get", "/api/user/change-password/{change_password_id}", "200"),
             ("post", "/api/user/verify-email", "200"), ("post", "/api/user/verify-email/{verification_id}", "200"),
             ("post", "/api/login", "404"), ("post", "/api/user/import", "200"), ("get", "/api/jwt/validate", "401"), ("post", "/api/logout", "200"),
             ("post", "/oauth2/revoke", "200")}
# Endpoints answering like the Login API (authgate/fusionauth/login.py `complete`).
_LOGINS = ("/api/login", "/api/two-factor/login", "/api/webauthn/login")
# Pages and redirects for browsers: any status, no declared shape (the no-5xx rule still holds).
_BROWSER = ("/oauth2/authorize", "/oauth2/logout")


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _complete(method: str, path: str, op: dict[str, Any]) -> None:
    tag = _tag(path)
    if tag and not op.get("tags"):
        op["tags"] = [tag]
    responses: dict[str, Any] = op.setdefault("responses", {})
    responses.pop("422", None)  # validation errors are 400s here, in the caller's protocol's shape
    if path in _BROWSER:
        op["responses"] = {"default": {"description": "An HTML page or a redirect."}}
        return
    if path.startswith("/api/"):
        for status, what in (("400", "Validation error."), ("401", "Missing or invalid API key or credentials."),
                             ("404", "Not found."), ("409", "Conflict or locked."), ("413", "Body too large."),
                             ("429", "Rate limited.")):
            responses.setdefault(status, _json(FUSIONAUTH_ERRORS, what))
        if path in _LOGINS:
            responses["202"] = _json(_OBJ, "Authenticated, not registered for the application.")
            responses["212"] = _json(_OBJ, "Email not verified: the user (tokens too, unless the application is Gated).")
            responses["242"] = _json(_OBJ, "A second factor is needed: twoFactorId and methods.")
            for status in ("410", "423"):
                responses[status] = _json(FUSIONAUTH_ERRORS, "User expired or locked.")
        if method == "delete":
            responses["200"] = _EMPTY
        if path == "/api/user/forgot-password":
            responses["422"] = _json(FUSIONAUTH_ERRORS, "The user has no email address to send the link to.")
        if "two-factor" in path:
            responses["421"] = {"description": "The two-factor code is wrong, malformed or already used."}
    elif path.startswith("/oauth2/"):
        for status in ("400", "401", "413", "429"):
            responses.setdefault(status, _json(OAUTH_ERROR, "RFC 6749 section 5.2 error."))
    for m, p, status in _BODYLESS:
        if (m, p) == (method, path):
            responses[status] = _EMPTY


def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, also inside included routers that FastAPI keeps nested."""
    for route in routes:
        nested = getattr(route, "original_router", None)
        if nested is not None:
            yield from api_routes(nested.routes)
        elif isinstance(route, APIRoute):
            yield route


def declared_bodies(app: FastAPI) -> dict[tuple[str, str], Body]:
    """(method, path as in the document) -> the JSON body its endpoint declares and reads."""
    out: dict[tuple[str, str], Body] = {}
    for route in api_routes(app.routes):
        body = declared(route.endpoint)
        if body is not None and route.include_in_schema:
            for method in route.methods:
                out[(method.lower(), route.path_format)] = body
    return out


def install(app: FastAPI) -> None:
    """Serve the completed document at the app's `openapi_url`."""
    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(title=app.title, version=app.version, routes=app.routes)
            for (method, path), body in declared_bodies(app).items():
                doc["paths"][path][method]["requestBody"] = body.openapi()
            for path, ops in doc.get("paths", {}).items():
                for method, op in ops.items():
                    _complete(method, path, op)
            doc["tags"] = [{"name": tag, "description": text} for _, tag, text in TAGS if text]
            doc["info"]["description"] = (
                "authgate speaks FusionAuth's API (`/api/...`) and OAuth 2 / OpenID Connect (`/oauth2/...`). "
                "Admin endpoints take an API key in the `Authorization` header, as FusionAuth does (the raw key, "
                "no scheme). Errors: FusionAuth's `{fieldErrors, generalErrors}` on `/api`, RFC 6749's "
                "`{error, error_description}` on `/oauth2`.")
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]
