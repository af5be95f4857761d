"""The served OpenAPI document (`/openapi.json`), completed with what FastAPI cannot infer.

Most handlers read their JSON or form body themselves (FusionAuth tolerates unknown fields and
reports every bad field at once), so FastAPI sees neither request bodies nor the error responses.
This module declares them once: FusionAuth's `{fieldErrors, generalErrors}` on `/api`, RFC 6749
section 5.2's `{error, error_description}` on `/oauth2`, and the responses that carry no body.
Clients, and the schemathesis suite in tests/security, read the result.
"""
from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

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
_STR: dict[str, Any] = {"type": "string"}
_USER = {"type": "object", "properties": {
    "email": {"type": "string", "format": "email"}, "username": _STR, "password": {"type": "string", "minLength": 8},
    "firstName": _STR, "lastName": _STR, "active": {"type": "boolean"}, "data": _OBJ, "expiry": {"type": "integer"}}}
_REGISTRATION = {"type": "object", "properties": {"applicationId": _STR, "roles": {"type": "array", "items": _STR},
                                                  "username": _STR, "data": _OBJ}}
# JSON bodies the handlers read themselves: path prefix -> properties of the body object.
_JSON_BODIES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("/api/login", {"loginId": _STR, "password": _STR, "applicationId": _STR, "noJWT": {"type": "boolean"}}),
    ("/api/jwt/refresh", {"refreshToken": _STR}),
    ("/api/logout", {"refreshToken": _STR, "global": {"type": "boolean"}}),
    ("/api/user/registration", {"registration": _REGISTRATION, "user": _USER,
                                "skipVerification": {"type": "boolean"}}),
    ("/api/user/forgot-password", {"loginId": _STR, "applicationId": _STR,
                                   "sendForgotPasswordEmail": {"type": "boolean"}}),
    ("/api/user/change-password", {"changePasswordId": _STR, "loginId": _STR, "currentPassword": _STR,
                                   "password": _STR}),
    ("/api/user/verify-email", {"verificationId": _STR}),
    ("/api/user/search", {"search": {"type": "object", "properties": {
        "queryString": _STR, "ids": {"type": "array", "items": _STR}, "numberOfResults": {"type": "integer"},
        "startRow": {"type": "integer"}}}}),
    ("/api/user/import", {"users": {"type": "array", "items": _USER}}),
    ("/api/user/two-factor", {"method": _STR, "code": _STR, "secret": _STR, "secretBase32Encoded": _STR}),
    ("/api/two-factor/login", {"twoFactorId": _STR, "code": _STR, "applicationId": _STR}),
    ("/api/webauthn", {"userId": _STR, "applicationId": _STR, "loginId": _STR, "name": _STR, "displayName": _STR,
                       "twoFactorId": _STR, "credential": _OBJ, "origin": _STR, "rpId": _STR}),
    ("/api/webhook", {"webhook": {"type": "object", "properties": {
        "url": _STR, "connectTimeout": {"type": "integer"}, "readTimeout": {"type": "integer"},
        "global": {"type": "boolean"}, "applicationIds": {"type": "array", "items": _STR}, "eventsEnabled": _OBJ,
        "headers": _OBJ, "signatureConfiguration": _OBJ, "description": _STR}}}),
    ("/api/system/audit-log/search", {"search": {"type": "object", "properties": {
        "message": _STR, "user": _STR, "start": {"type": "integer"}, "end": {"type": "integer"},
        "numberOfResults": {"type": "integer"}, "startRow": {"type": "integer"}, "orderBy": _STR}}}),
    ("/api/system/audit-log", {"auditLog": {"type": "object", "properties": {
        "insertUser": _STR, "message": _STR, "reason": _STR, "data": _OBJ}}}),
    ("/api/system/login-record/search", {"retrieveTotal": {"type": "boolean"}, "search": {"type": "object", "properties": {
        "userId": _STR, "applicationId": _STR, "start": {"type": "integer"}, "end": {"type": "integer"},
        "numberOfResults": {"type": "integer"}, "startRow": {"type": "integer"}}}}),
    ("/api/user", {"user": _USER}),
    ("/api/application", {"application": {"type": "object", "properties": {
        "name": _STR, "oauthConfiguration": _OBJ, "jwtConfiguration": _OBJ, "loginConfiguration": _OBJ,
        "roles": {"type": "array", "items": _OBJ}}}, "role": _OBJ}),
    ("/api/key", {"key": {"type": "object", "properties": {"algorithm": _STR, "name": _STR, "length": {"type": "integer"}}}}),
    ("/api/api-key", {"apiKey": {"type": "object", "properties": {"key": _STR, "permissions": _OBJ, "metaData": _OBJ}}}),
)
# Form bodies of the OAuth endpoints (application/x-www-form-urlencoded).
_OAUTH_FORM = {"client_id": _STR, "client_secret": _STR, "token": _STR, "token_type_hint": _STR}
_FORM_BODIES: dict[str, dict[str, Any]] = {
    "/oauth2/token": {"grant_type": {"type": "string", "enum": ["authorization_code", "refresh_token",
                                                               "client_credentials", "password"]},
                      "code": _STR, "redirect_uri": _STR, "code_verifier": _STR, "refresh_token": _STR,
                      "scope": _STR, "username": _STR, "password": _STR, "client_id": _STR, "client_secret": _STR},
    "/oauth2/introspect": _OAUTH_FORM,
    "/oauth2/revoke": _OAUTH_FORM,
}
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
            responses["242"] = _json(_OBJ, "A second factor is needed: twoFactorId and methods.")
            for status in ("410", "423"):
                responses[status] = _json(FUSIONAUTH_ERRORS, "User expired or locked.")
        if method == "delete":
            responses["200"] = _EMPTY
        if path == "/api/user/forgot-password":
            responses["422"] = _json(FUSIONAUTH_ERRORS, "The user has no email address to send the link to.")
        if "two-factor" in path:
            responses["421"] = {"description": "The two-factor code is wrong, malformed or already used."}
        if "requestBody" not in op and method in ("post", "put", "patch"):
            props = next((p for prefix, p in _JSON_BODIES if path == prefix or path.startswith(prefix + "/")), None)
            if props is not None:
                op["requestBody"] = {"content": {"application/json": {"schema": {"type": "object", "properties": props}}}}
    elif path.startswith("/oauth2/"):
        for status in ("400", "401", "413", "429"):
            responses.setdefault(status, _json(OAUTH_ERROR, "RFC 6749 section 5.2 error."))
        if path in _FORM_BODIES and method == "post":
            form = {"type": "object", "properties": _FORM_BODIES[path]}
            op["requestBody"] = {"content": {"application/x-www-form-urlencoded": {"schema": form}}}
    for m, p, status in _BODYLESS:
        if (m, p) == (method, path):
            responses[status] = _EMPTY


def install(app: FastAPI) -> None:
    """Serve the completed document at the app's `openapi_url`."""
    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(title=app.title, version=app.version, routes=app.routes)
            for path, ops in doc.get("paths", {}).items():
                for method, op in ops.items():
                    _complete(method, path, op)
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]
