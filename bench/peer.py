"""The peer: node-oidc-provider (npm `oidc-provider`) with bench/peer/server.mjs.

Installed with npm into a cache directory on first use (re-installed when package.json
changes), started pinned to the server core. Any failure is reported, never raised, so the
report can say "peer unavailable: <why>" in the peer column.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import httpx

from bench.server import ServerProcess, free_port, pinned

PEER_SRC = Path(__file__).resolve().parent / "peer"
CLIENT_ID = "bench-client"
CLIENT_SECRET = "bench-secret-bench-secret-bench-secret"


class PeerUnavailable(RuntimeError):
    pass


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "authgate-bench" / "peer"


def install(target: Path | None = None) -> Path:
    """npm install the peer into `target` (the cache dir by default); returns the directory."""
    target = target or cache_dir()
    if not (shutil.which("node") and shutil.which("npm")):
        raise PeerUnavailable("node/npm not on PATH")
    target.mkdir(parents=True, exist_ok=True)
    manifest = (PEER_SRC / "package.json").read_bytes()
    digest = hashlib.sha256(manifest).hexdigest()
    stamp = target / ".installed"
    shutil.copy2(PEER_SRC / "server.mjs", target / "server.mjs")
    if stamp.exists() and stamp.read_text() == digest and (target / "node_modules" / "oidc-provider").exists():
        return target
    (target / "package.json").write_bytes(manifest)
    proc = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--omit=dev"],
        cwd=target, capture_output=True, text=True, timeout=300,
    )
    if proc.returncode != 0:
        raise PeerUnavailable(f"npm install failed: {proc.stderr[-500:]}")
    stamp.write_text(digest)
    return target


def version(directory: Path) -> str:
    manifest = directory / "node_modules" / "oidc-provider" / "package.json"
    return json.loads(manifest.read_text())["version"]


def start(log_dir: Path) -> ServerProcess:
    directory = install()
    port = free_port()
    env = {**os.environ, "PORT": str(port), "CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET,
           "NODE_ENV": "production"}
    server = ServerProcess(
        "oidc-provider", pinned(["node", "server.mjs"]), port=port,
        ready_path="/.well-known/openid-configuration", log_path=log_dir / "peer.log",
        env=env, cwd=directory,
    )
    try:
        return server.start(timeout=30)
    except RuntimeError as exc:
        raise PeerUnavailable(str(exc)) from exc


def basic_auth() -> str:
    return "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()


def opaque_token(server: ServerProcess) -> str:
    """An opaque access token (stored by the provider), for introspection."""
    response = httpx.post(
        server.base_url + "/token",
        data={"grant_type": "client_credentials", "scope": "api", "resource": "urn:bench:opaque"},
        headers={"Authorization": basic_auth()},
    )
    response.raise_for_status()
    return response.json()["access_token"]


def refresh_tokens(server: ServerProcess, count: int) -> list[str]:
    """`count` refresh tokens of the bench client, each of its own grant (server.mjs seeds them:
    the authorization code flow that would issue them needs a browser session)."""
    response = httpx.post(server.base_url + "/bench/refresh-tokens", params={"count": count}, timeout=30)
    if response.status_code != 200:
        raise RuntimeError(f"seeding refresh tokens: {response.status_code} {response.text[:300]}")
    return response.json()["refresh_tokens"]
