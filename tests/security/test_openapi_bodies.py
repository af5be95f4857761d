"""The served OpenAPI document's request bodies are the ones the handlers validate with.

- Every JSON request body in /openapi.json is the declaration of its endpoint (web/bodies.py),
  the one `read_body` checks the request against; every POST/PUT/PATCH under /api declares its
  body or is listed here as reading none; no handler reads JSON around the declaration.
- By behaviour: for every declared operation and every field of its body, a request whose field
  has the wrong JSON type is refused with a 400 naming that field. A handler that stopped checking
  what its document promises, or a document that promised a field no handler reads as declared,
  fails here.
- OAuth form endpoints publish the form parameters of the shape the handler reads them through.
"""
from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest

import authgate
from authgate.shapes import Body, ListOf, Shape, is_kind
from authgate.web.app import create_app
from authgate.web.openapi import declared_bodies

# Operations that read no JSON body (their input is the path or the query).
BODYLESS = {("post", "/api/key/rotate"), ("post", "/api/user/two-factor/recovery-code/{user_id}"),
            ("post", "/api/webhook/delivery/{delivery_id}/resend"), ("put", "/api/user/verify-email"),
            ("post", "/api/user/verify-email/{verification_id}")}
# POSTs whose path names an existing object (the others create one with the id of the path).
ON_EXISTING = {"/api/user/registration/{user_id}", "/api/user/two-factor/{user_id}", "/api/application/{app_id}/role"}
# Self-service operations: the caller is the user of the access token.
AS_USER = {("post", "/api/user/two-factor"), ("delete", "/api/user/two-factor")}
# What an operation needs besides the field under test to get as far as checking it.
BASE = {("post", "/api/user/registration"): {"user": {"email": "new@example.com", "password": "correct horse"}}}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"argon2_memory_kib": 1024, "argon2_time_cost": 1, "webhook_allowed_networks": "127.0.0.0/8"}


def _document(registry) -> tuple[dict[str, Any], dict[tuple[str, str], Body]]:
    app = create_app(registry.settings, registry)
    return app.openapi(), declared_bodies(app)


async def test_every_json_request_body_is_its_endpoints_declaration(registry) -> None:
    doc, bodies = _document(registry)
    seen = set()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            content = (op.get("requestBody") or {}).get("content", {})
            if "application/json" in content:
                assert (method, path) in bodies, f"{method} {path}: a JSON body no endpoint declares"
                assert op["requestBody"] == bodies[(method, path)].openapi(), (method, path)
                seen.add((method, path))
            elif path.startswith("/api/") and method in ("post", "put", "patch"):
                assert (method, path) in BODYLESS, f"{method} {path}: declares no body (or add it to BODYLESS)"
    assert seen == set(bodies)
    assert len(seen) >= 40  # every FusionAuth write endpoint


def test_no_handler_reads_json_around_its_declaration() -> None:
    root = Path(authgate.__file__).parent
    readers = sorted(str(p.relative_to(root)) for p in root.rglob("*.py") if "read_json_object(" in p.read_text())
    assert readers == ["web/bodies.py", "web/errors.py"]


def _wrong(kind: Any) -> Any:
    """A JSON value that is not of `kind`."""
    if isinstance(kind, (Shape, ListOf)):
        return "text"
    return next(v for v in ("text", 12345, True, [1], {"a": 1}) if not is_kind(v, kind))


def _cases(body: Body) -> list[tuple[str, dict[str, Any]]]:
    """(field as FusionAuth names it, request body with only that field wrong) for every declared field."""
    out = []
    for key, kind in body.shape.fields.items():
        if body.wrapper is None:
            out.append((key, {key: _wrong(kind)}))
        else:
            out.append((f"{body.wrapper}.{key}", {body.wrapper: {key: _wrong(kind)}}))
    for key, kind in body.extra.items():
        out.append((key, {key: _wrong(kind), **({body.wrapper: {}} if body.wrapper else {})}))
    if body.shape.closed:  # a field the shape does not have is refused too
        out.append((f"{body.wrapper}.nope" if body.wrapper else "nope",
                    {body.wrapper: {"nope": 1}} if body.wrapper else {"nope": 1}))
    return out


async def test_every_declared_field_of_the_wrong_type_is_refused_by_the_handler(client, registry, admin) -> None:
    _, bodies = _document(registry)
    user = (await client.post("/api/user", headers=admin, json={"user": {"email": "probe@example.com", "password": "correct horse"}})).json()["user"]
    app = (await client.post("/api/application", headers=admin, json={"application": {"name": "Probe"}})).json()["application"]
    await client.post(f"/api/user/registration/{user['id']}", headers=admin, json={"registration": {"applicationId": app["id"]}})
    hook = {"url": "http://127.0.0.1:9/hook", "connectTimeout": 1000, "readTimeout": 1000, "global": True}
    webhook = (await client.post("/api/webhook", headers=admin, json={"webhook": hook})).json()["webhook"]
    token = (await client.post("/api/login", json={"loginId": "probe@example.com", "password": "correct horse"})).json()["token"]
    existing = {"user_id": user["id"], "app_id": app["id"], "webhook_id": webhook["id"]}
    failures = []
    for (method, path), body in sorted(bodies.items()):
        on_existing = method != "post" or path in ON_EXISTING
        url = re.sub(r"\{(\w+)\}", lambda m: existing.get(m.group(1), "") if on_existing and m.group(1) in existing
                     else str(uuid.uuid4()), path)
        headers = {"Authorization": f"Bearer {token}"} if (method, path) in AS_USER else admin
        for field, payload in _cases(body):
            r = await client.request(method.upper(), url, json={**BASE.get((method, path), {}), **payload}, headers=headers)
            errors = r.json().get("fieldErrors", {}) if r.headers.get("content-type") == "application/json" else {}
            codes = [e["code"] for e in errors.get(field, [])]
            if field in body.ids:  # an id of the wrong type names nothing: 404, as an unknown one
                if r.status_code != 404:
                    failures.append(f"{method.upper()} {path} {field}={payload}: {r.status_code} {r.text[:200]}")
                continue
            # Read-time checks answer at once with the wrong type; a collecting validator may add to it.
            if r.status_code != 400 or not codes or (not body.collected and codes != [f"[invalid]{field}"]):
                failures.append(f"{method.upper()} {path} {field}={payload}: {r.status_code} {r.text[:200]}")
    assert failures == []


async def test_oauth_forms_are_published_from_the_shapes_their_handlers_read_through(registry) -> None:
    from authgate.ui.authorize import AUTHORIZE_FORM
    from authgate.oauth2.token import TOKEN_FORM
    from authgate.oidc.logout import LOGOUT_FORM
    from authgate.shapes import TOKEN_HINT_FORM

    doc, _ = _document(registry)
    forms = {"/oauth2/token": TOKEN_FORM, "/oauth2/introspect": TOKEN_HINT_FORM, "/oauth2/revoke": TOKEN_HINT_FORM,
             "/oauth2/logout": LOGOUT_FORM, "/oauth2/authorize": AUTHORIZE_FORM}
    for path, shape in forms.items():
        content = doc["paths"][path]["post"]["requestBody"]["content"]
        assert content == {"application/x-www-form-urlencoded": {"schema": shape.schema()}}, path


def test_a_form_parameter_read_but_not_declared_is_a_programming_error() -> None:
    from authgate.oauth2.params import Params

    params = Params((("token", "t"), ("extra", "x")), frozenset({"token", "client_id"}))
    params.check_all()  # undeclared parameters sent by a client are no error
    assert params.get("token") == "t" and params.get("client_id") is None
    with pytest.raises(RuntimeError, match="not declared"):
        params.get("extra")
