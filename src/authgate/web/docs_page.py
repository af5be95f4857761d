"""`/docs`: the API reference, rendered in the browser from `/openapi.json` by a small ES module.

FastAPI's Swagger UI and ReDoc load their scripts from a CDN, which a strict Content-Security-
Policy (and an IdP without outbound network) cannot allow. This page is three files of ours
(web/docs/): no inline script or style, every string from the document set as text, readable
with the keyboard (one `<details>` per operation) and filterable.
"""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

router = APIRouter()
_DIR = Path(__file__).parent / "docs"
_FILES = {name: (_DIR / name).read_bytes() for name in ("index.html", "docs.js", "docs.css")}
_TYPES = {"index.html": "text/html; charset=utf-8", "docs.js": "text/javascript; charset=utf-8",
          "docs.css": "text/css; charset=utf-8"}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
       "form-action 'none'; frame-ancestors 'none'; base-uri 'none'")
_HEADERS = {"Content-Security-Policy": CSP, "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff"}


def _file(name: str) -> Response:
    return Response(_FILES[name], media_type=_TYPES[name], headers=_HEADERS)


@router.get("/docs", include_in_schema=False)
async def docs() -> Response:
    return _file("index.html")


@router.get("/docs/docs.js", include_in_schema=False)
async def script() -> Response:
    return _file("docs.js")


@router.get("/docs/docs.css", include_in_schema=False)
async def style() -> Response:
    return _file("docs.css")
