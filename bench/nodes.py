"""`--nodes N` (with --postgres): N `authgate serve` processes on one PostgreSQL database, node i
pinned to core i % cores, driven at once from threads of the runner: aggregate refresh and
validation throughput, and the database's commits per second (pg_stat_database.xact_commit)
over the same window — the figures the README's capacity planning rests on.

On this 2-core machine the nodes, the loader and PostgreSQL share the same two cores, so the
aggregate is a floor, not a scaling curve; the commits per refresh is the transferable figure.
"""
from __future__ import annotations

import dataclasses
import os
import threading
import time
from pathlib import Path

from bench import authgate, scale, scenarios
from bench.authgate import Provisioned
from bench.loader import LoadResult
from bench.server import ServerProcess


ISSUER = "http://authgate.bench.example"


def start_nodes(count: int, work: Path, log_dir: Path, api_key: str, database_url: str) -> list[ServerProcess]:
    nodes: list[ServerProcess] = []
    try:
        for i in range(count):
            core = i % (os.cpu_count() or 1)
            # One issuer for the cluster, as behind a load balancer: a token of one node validates on all.
            nodes.append(authgate.start(work / f"data-node{i}", log_dir, api_key=api_key, database_url=database_url,
                                        name=f"authgate-node{i}", core=core, extra_env={"AUTHGATE_ISSUER": ISSUER}))
    except Exception:
        for node in nodes:
            node.stop()
        raise
    return nodes


def _on(p: Provisioned, node: ServerProcess) -> Provisioned:
    return dataclasses.replace(p, base_url=node.base_url)


def together(plan, p: Provisioned, nodes: list[ServerProcess], what: str, jwt: str, commits) -> tuple[float, float, list[LoadResult]]:
    """Drive every node at once; (aggregate req/s, commits/s, per-node results)."""
    seeds = {i: [s["refreshToken"] for s in scenarios.seed_refresh_tokens(_on(p, n), plan.concurrency)]
             for i, n in enumerate(nodes)} if what == "refresh" else {}
    results: dict[int, LoadResult] = {}
    failures: list[BaseException] = []

    def drive(i: int, node: ServerProcess) -> None:
        try:
            run(i, node)
        except BaseException as exc:  # noqa: BLE001 - raised again below, in the runner's thread
            failures.append(exc)

    def run(i: int, node: ServerProcess) -> None:
        q = _on(p, node)
        if what == "refresh":
            work = scenarios.RotatingRefresh(seeds[i], lambda t: scenarios.build_request(
                "POST", "/api/jwt/refresh", content_type=scenarios.JSON,
                body=scenarios.json.dumps({"refreshToken": t}).encode()), "refreshToken")
            results[i] = scenarios._run_py(q.base_url, work, plan.concurrency, plan.duration, plan.warmup)
        else:
            results[i] = scenarios.validate(dataclasses.replace(plan, cpu_probe=None), q, jwt)

    threads = [threading.Thread(target=drive, args=(i, n)) for i, n in enumerate(nodes)]
    for t in threads:
        t.start()
    time.sleep(plan.warmup)
    c0 = commits()
    time.sleep(plan.duration)
    c1 = commits()
    for t in threads:
        t.join(plan.duration + plan.warmup + 120)
    if failures:
        raise failures[0]
    per = [results[i] for i in sorted(results)]
    return sum(r.rps for r in per), (c1 - c0) / plan.duration, per


def measure(plan, work: Path, api_key: str, database_url: str, count: int) -> list[tuple[str, float, float, list[LoadResult]]]:
    nodes = start_nodes(count, work, plan.log_dir, api_key, database_url)
    db = scale.PostgresTarget(database_url)
    try:
        p = authgate.provision(nodes[0].base_url, api_key, users=max(8, plan.login_concurrency))
        jwt = scenarios.access_token(p)
        out = []
        for what in ("refresh", "validate"):
            total, commits, per = together(plan, p, nodes, what, jwt, db.commits)
            out.append((what, total, commits, per))
        return out
    finally:
        db.close()
        for node in nodes:
            node.stop()
