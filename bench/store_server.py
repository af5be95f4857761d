"""Serve the Store example backend for the benchmark: `python -m bench.store_server --port ...`.

Mode implicit-localstorage (the SPA sends `Authorization: Bearer <JWT>`), verified locally
against the IdP's JWKS, exactly as examples/store does in the demo. Access log off.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn

from authgate_demo.apps.common.config import ExampleConfig
from authgate_demo.apps.store.app import create_app


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--idp", required=True, help="the IdP's base URL (JWKS)")
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--client-id", required=True)
    ap.add_argument("--db", type=Path, required=True)
    args = ap.parse_args()
    origin = f"http://127.0.0.1:{args.port}"
    cfg = ExampleConfig(name="Store", mode="implicit-localstorage", public_origin=origin,
                        idp_public_url=args.idp, idp_internal_url=args.idp, issuer=args.issuer,
                        client_id=args.client_id, db_path=args.db)
    uvicorn.run(create_app(cfg), host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
