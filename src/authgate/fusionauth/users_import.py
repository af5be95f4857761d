"""`POST /api/user/import`: bulk import with existing password hashes (FusionAuth Import API);
the rules are authgate/user_import.py's."""
from __future__ import annotations

from fastapi import APIRouter, Request, Response

from authgate import user_import
from authgate.fusionauth.auth import registry
from authgate.shapes import Body, ListOf, Shape
from authgate.users import USER
from authgate.web.bodies import declares, read_body

router = APIRouter()
IMPORT = Shape({"users": ListOf(USER)}, required=("users",))


@router.post("/api/user/import")
@declares(Body(IMPORT, collected=True))  # each user is checked by validate_user, with its index
async def import_users(request: Request) -> Response:
    await user_import.import_users(registry(request), (await read_body(request)).get("users"))
    return Response(status_code=200)
