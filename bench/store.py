"""The Store example backend's JWT-checked `GET /api/load-shopping-cart`, on the server core.

The Store runs alone on core 0 during its phase (authgate is idle: the Store verifies JWTs
locally and fetches the JWKS once)."""
from __future__ import annotations

import base64
import json
import sys

import httpx

from bench.authgate import Provisioned, login
from bench.loader import LoadResult
from bench.server import REPO_ROOT, ServerProcess, free_port, pinned

PATH = "/api/load-shopping-cart"


def _claims(jwt: str) -> dict:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def start(plan, p: Provisioned, jwt: str) -> ServerProcess:
    claims = _claims(jwt)
    aud = claims["aud"][0] if isinstance(claims.get("aud"), list) else claims.get("aud", p.client_id)
    port = free_port()
    cmd = pinned([sys.executable, "-m", "bench.store_server", "--port", str(port), "--idp", p.base_url,
                  "--issuer", claims["iss"], "--client-id", aud, "--db", str(plan.log_dir.parent / "store.db")])
    return ServerProcess("store", cmd, port=port, ready_path="/", log_path=plan.log_dir / "store.log",
                         cwd=REPO_ROOT).start(timeout=60)


def measure(plan, p: Provisioned) -> LoadResult:
    from bench.scenarios import fixed

    with httpx.Client(timeout=30) as client:
        jwt = login(client, p, p.users[0])["token"]
    with start(plan, p, jwt) as server:
        headers = {"Authorization": f"Bearer {jwt}"}
        probe = httpx.get(server.base_url + PATH, headers=headers, timeout=30)
        if probe.status_code != 200 or "items" not in probe.json():
            raise RuntimeError(f"Store probe: {probe.status_code} {probe.text[:200]}")
        saved, plan.cpu_probe = plan.cpu_probe, server.cpu_seconds
        try:
            return fixed(plan, server.base_url, "GET", PATH, headers=headers)
        finally:
            plan.cpu_probe = saved
