"""FusionAuth User API: create, retrieve, update (PUT replaces, PATCH merges), delete, search.

Passwords are hashed with argon2id before anything is stored and never returned. Path ids use
the `uuid` convertor so `/api/user/search`, `/api/user/import` and `/api/user/registration`
never reach the `{userId}` routes. Bulk import lives in users_import.py.
"""
from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from authgate.errors import ApiError, not_found
from authgate.field_errors import Errors
from authgate.fusionauth._admin import object_field, query_int
from authgate.fusionauth.auth import registry, require_api_key
from authgate.present import user_json
from authgate.registry import Registry
from authgate.shapes import Body, ListOf, Shape
from authgate.users import USER, create_user, delete_user, load, update_user
from authgate.web.bodies import declares, read_body

router = APIRouter(dependencies=[Depends(require_api_key)])


def _path_id(user_id: uuid.UUID | None) -> str | None:
    return str(user_id) if user_id is not None else None


async def _respond(reg: Registry, row: dict[str, Any], status: int = 200) -> Response:
    regs = await reg.db.registrations.for_user(row["id"])
    return JSONResponse({"user": user_json(row, regs)}, status_code=status)


# `validate_user` reports the user's wrong types with everything else wrong (collected).
CREATE = Body(USER, "user", extra={"skipVerification": bool}, collected=True)
UPDATE = Body(USER, "user", collected=True)


@router.post("/api/user")
@router.post("/api/user/{user_id:uuid}")
@declares(CREATE)
async def create(request: Request, user_id: uuid.UUID | None = None) -> Response:
    reg = registry(request)
    body = await read_body(request)
    user = object_field(body, "user")
    row = await create_user(reg, user, _path_id(user_id), Errors(),
                            verify=reg.settings.verify_email and body.get("skipVerification") is not True)
    return await _respond(reg, row)


@router.get("/api/user")
async def find(request: Request, email: str | None = None, username: str | None = None,
               loginId: str | None = None) -> Response:
    reg = registry(request)
    if email:
        row = await reg.db.users.find_by(email=email)
    elif username:
        row = await reg.db.users.find_by(username=username)
    elif loginId:
        row = await reg.db.users.find_by_login_id(loginId)
    else:
        raise ApiError(400, general_errors=[{"code": "[missing]parameter",
                                             "message": "Specify a user id, or one of email, username or loginId."}])
    if row is None:
        raise not_found("user")
    return await _respond(reg, row)


@router.get("/api/user/{user_id:uuid}")
async def retrieve(request: Request, user_id: uuid.UUID) -> Response:
    reg = registry(request)
    return await _respond(reg, await load(reg, str(user_id)))


@router.put("/api/user/{user_id:uuid}")
@declares(UPDATE)
async def replace(request: Request, user_id: uuid.UUID, reactivate: bool = False) -> Response:
    reg = registry(request)
    if reactivate:  # FusionAuth: `PUT ?reactivate=true` without a body re-enables a deactivated user
        return await _respond(reg, await update_user(reg, str(user_id), {"active": True}, patch=True))
    user = object_field(await read_body(request), "user")
    return await _respond(reg, await update_user(reg, str(user_id), user, patch=False))


@router.patch("/api/user/{user_id:uuid}")
@declares(UPDATE)
async def patch(request: Request, user_id: uuid.UUID) -> Response:
    reg = registry(request)
    user = object_field(await read_body(request), "user")
    return await _respond(reg, await update_user(reg, str(user_id), user, patch=True))


@router.delete("/api/user/{user_id:uuid}")
async def delete(request: Request, user_id: uuid.UUID, hardDelete: bool = False) -> Response:
    """hardDelete removes the user (registrations and tokens cascade); otherwise, as in FusionAuth,
    the user is deactivated: logins answer 423. Either way every token of the user stops working."""
    await delete_user(registry(request), str(user_id), hard=hardDelete)
    return Response(status_code=200)


SEARCH = Shape({"queryString": str, "query": str, "ids": ListOf(str), "numberOfResults": (int, str), "startRow": (int, str)})


async def _search(request: Request, params: dict[str, Any]) -> Response:
    reg = registry(request)
    wrong = Errors()
    wrong.extend(SEARCH.problems(params, "search"))
    wrong.raise_if_any()
    text, ids = params.get("queryString") or params.get("query"), params.get("ids")
    if text is not None and not isinstance(text, str):
        raise ApiError(400, field_errors={"search.queryString": [{"code": "[invalid]search.queryString",
                                                                  "message": "[queryString] must be a string."}]})
    if ids is not None and (not isinstance(ids, list) or len(ids) > 500 or not all(isinstance(i, str) for i in ids)):
        raise ApiError(400, field_errors={"search.ids": [{"code": "[invalid]search.ids",
                                                          "message": "[ids] must be a list of at most 500 user ids."}]})
    limit = query_int(params.get("numberOfResults"), "search.numberOfResults", 25, 500)
    start = query_int(params.get("startRow"), "search.startRow", 0, 10**9)
    total, rows = await reg.db.users.search(text, ids, start, limit)
    return JSONResponse({"total": total, "users": [user_json(r) for r in rows]})


@router.get("/api/user/search")
async def search_get(request: Request) -> Response:
    q = request.query_params
    params: dict[str, Any] = {k: q.get(k) for k in ("queryString", "query", "numberOfResults", "startRow")}
    params["ids"] = q.getlist("ids") or None
    return await _search(request, params)


@router.post("/api/user/search")
@declares(Body(SEARCH, "search", collected=True))  # `_search` runs SEARCH on the GET's query too
async def search_post(request: Request) -> Response:
    return await _search(request, object_field(await read_body(request), "search"))


# Last, because the import module builds on the validators above.
from authgate.fusionauth.users_import import router as _import_router  # noqa: E402

router.include_router(_import_router)
