"""Operations endpoints: liveness, readiness (database answers and no migration pending), metrics."""
from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from authgate.errors import ApiError
from authgate.storage.migrate import pending
from authgate.web.metrics import scrape_allowed

router = APIRouter()
log = logging.getLogger("authgate.health")


@router.get("/health/alive", include_in_schema=False)
async def alive() -> Response:
    return JSONResponse({"status": "ok"})


@router.get("/health/ready", include_in_schema=False)
async def ready(request: Request) -> Response:
    db = request.app.state.registry.db
    try:
        await db.ping()
        if await pending(db.engine):
            return JSONResponse({"status": "migration pending"}, status_code=503)
    except Exception as exc:  # noqa: BLE001 - any database failure means "not ready"
        log.warning("readiness check failed: %s", exc)
        return JSONResponse({"status": "database unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    peer = request.client.host if request.client else None
    if not scrape_allowed(request.app.state.metrics_networks, peer):
        raise ApiError(403, general_errors=[{"code": "[Forbidden]", "message": "Metrics are not available to this address."}],
                       detail=f"/metrics refused to {str(peer)[:60]}")
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
