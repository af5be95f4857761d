"""The hosted pages' own ES modules (ui/static/), served from the IdP's origin so the pages'
CSP can allow `script-src 'self'` and nothing else. A fixed list: no path ever reaches the disk."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

from authgate.errors import not_found

router = APIRouter(include_in_schema=False)
_DIR = Path(__file__).parent / "static"
FILES = {name: (_DIR / name).read_bytes() for name in ("webauthn.js",)}


@router.get("/ui/static/{name}")
async def asset(name: str) -> Response:
    body = FILES.get(name)
    if body is None:
        raise not_found("file")
    return Response(body, media_type="text/javascript", headers={
        "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})
