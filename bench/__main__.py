"""`python -m bench [--quick] [--postgres] [--only login,refresh,...] [--no-peer]`

Runs each figure beside its ceiling or peer (same machine, same run), prints a markdown table
and writes bench/results/latest.md and latest.json.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import authgate, ceiling, mfa, overload, peer, scale, scenarios, soak, store, wrk
from bench import phases as extra
from bench.report import Report, Row
from bench.server import REPO_ROOT, pin_loader

PHASES = ("login", "refresh", "introspect", "store", "mfa", "overload", "scale", "memory", "leak")
RESULTS = Path(__file__).resolve().parent / "results"
KEYCLOAK_ANCHOR = 120.0  # refresh/s per vCPU, Keycloak 26's published sizing figure


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short phases: the whole run in under 2 minutes")
    ap.add_argument("--postgres", action="store_true", help=f"PostgreSQL ({authgate.POSTGRES_URL}, "
                    f"database {authgate.BENCH_DATABASE} recreated) instead of SQLite")
    ap.add_argument("--duration", type=float, help="seconds measured per phase (quick 4, full 15)")
    ap.add_argument("--warmup", type=float, help="seconds of warm-up per phase (quick 1, full 3)")
    ap.add_argument("--concurrency", type=int, default=32, help="connections per phase (login: a quarter)")
    ap.add_argument("--memory-tokens", type=int, help="browser logins (refresh token + SSO session) made in the "
                    "memory phase (quick 2000, full 20000)")
    ap.add_argument("--memory-seconds", type=float,
                    help="time cap for those logins, after up to half as long of warm-up logins (quick 15, full 300)")
    ap.add_argument("--only", help=f"comma-separated subset of {','.join(PHASES)} (scale only with --scale)")
    ap.add_argument("--scale", action="store_true", help="also bulk-load 1M users, 5M refresh tokens, 200k SSO "
                    "sessions and 1,000 applications (times --scale-factor) and rerun login, refresh, validate and "
                    "introspect against the empty-database figures, then churn + purge")
    ap.add_argument("--scale-factor", type=float, default=1.0, help="multiplies the --scale row counts and the "
                    "leak phase's request count (0.01 for a quick try)")
    ap.add_argument("--churn-cycles", type=int, default=3, help="refresh churn + purge cycles after --scale")
    ap.add_argument("--nodes", type=int, default=0, help="with --postgres: also run N nodes on one database at once "
                    "(node i on core i %% cores): aggregate refresh and validate req/s and PostgreSQL commits/s")
    ap.add_argument("--leak-requests", type=int, help="mixed requests of the leak phase; RSS after them is compared "
                    "with RSS after a tenth (default 1,000,000 x --scale-factor; quick 100,000 x)")
    ap.add_argument("--no-peer", action="store_true", help="skip node-oidc-provider")
    ap.add_argument("--loader", choices=("py", "wrk"), default="py",
                    help="load generator for fixed requests (rotating refresh always uses the asyncio one)")
    ap.add_argument("--out", type=Path, default=RESULTS, help="where latest.md/latest.json go")
    args = ap.parse_args(argv)
    args.only = set(PHASES) if not args.only else {p.strip() for p in args.only.split(",") if p.strip()}
    unknown = args.only - set(PHASES)
    if unknown:
        ap.error(f"unknown phase(s): {', '.join(sorted(unknown))}")
    if not args.scale:
        args.only.discard("scale")
    elif "scale" not in args.only:
        args.only.add("scale")
    if not 0 < args.scale_factor <= 10:
        ap.error("--scale-factor must be in (0, 10]")
    args.leak_requests = args.leak_requests or max(100, round((100_000 if args.quick else 1_000_000) * args.scale_factor))
    args.duration = args.duration or (4.0 if args.quick else 15.0)
    args.warmup = args.warmup if args.warmup is not None else (1.0 if args.quick else 3.0)
    args.memory_tokens = args.memory_tokens or (2000 if args.quick else 20000)
    args.memory_seconds = args.memory_seconds or (15.0 if args.quick else 300.0)
    return args


def _git_sha() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


# The run's log line and failure row live once, in bench/phases.py (imported at start-up).
_log, _failed = extra._log, extra._failed


def _loadavg() -> str:
    """The 1-minute load average: others' processes on these 2 cores make figures noisy."""
    return f"{os.getloadavg()[0]:.2f}"


def run(args: argparse.Namespace) -> Report:
    pin_loader()
    work = Path(tempfile.mkdtemp(prefix="authgate-bench-"))
    plan = scenarios.Plan(duration=args.duration, warmup=args.warmup, concurrency=args.concurrency,
                          login_concurrency=max(2, args.concurrency // 4), memory_tokens=args.memory_tokens,
                          memory_seconds=args.memory_seconds,
                          loader=args.loader if (args.loader == "py" or wrk.available()) else "py",
                          log_dir=work / "logs")
    report = Report(run={
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _git_sha(), "cpu": _cpu_model(), "cores": os.cpu_count(),
        "database": "postgresql" if args.postgres else "sqlite",
        "mode": "quick" if args.quick else "full", "duration_s": plan.duration, "warmup_s": plan.warmup,
        "concurrency": plan.concurrency, "loader": plan.loader, "python": platform.python_version(),
        "loadavg_start": _loadavg(),
    })
    _log(f"logs in {plan.log_dir}")

    # The peer first, on the otherwise idle server core. (The argon2 ceiling is measured right
    # before and after the login phase: see _login.)
    peer_cc = peer_intro = peer_refresh = None  # LoadResults
    if args.no_peer:
        peer_reason = "peer skipped (--no-peer)"
    elif not args.only & {"refresh", "introspect"}:
        peer_reason = "peer not needed"
    else:
        peer_reason, peer_cc, peer_intro, peer_refresh = _measure_peer(plan, report)

    api_key = "bench-" + secrets.token_urlsafe(24)
    main_phases = args.only & {"login", "refresh", "introspect", "store", "mfa", "overload", "scale"}
    if main_phases:
        database_url = _database_url(args, report)
        try:
            _log("authgate serve")
            if database_url is None:
                raise RuntimeError("no database")
            server = authgate.start(work / "data", plan.log_dir, api_key=api_key, database_url=database_url)
        except Exception as exc:  # noqa: BLE001
            _failed(report, "authgate start", exc)
        else:
            plan.cpu_probe = server.cpu_seconds
            try:
                provisioned = _measure_authgate(args, plan, report, server, api_key, peer_cc, peer_intro,
                                                peer_reason, peer_refresh)
                if provisioned is not None:
                    extra.run_all(args, plan, report, server, provisioned, work, database_url)
            finally:
                plan.cpu_probe = None
                server.stop()
    if "overload" in args.only:
        extra.rate_limited(args, plan, report, work, api_key)
    if "memory" in args.only:
        _measure_memory(args, plan, report, work, api_key)
    if "leak" in args.only:
        extra.leak(args, plan, report, work, api_key)
    if args.nodes > 1:
        extra.several_nodes(args, plan, report, work, api_key)
    for leftover in work.iterdir():  # databases go, logs stay
        if leftover.name != "logs":
            shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink()
    report.run["loadavg_end"] = _loadavg()
    report.notes.append(f"server core 0 (taskset), loader core 1; rate limiting off; logs: {plan.log_dir}")
    if args.postgres:
        report.notes.append("PostgreSQL is the machine's shared server, not pinned: its work lands on either core")
    return report


def _database_url(args: argparse.Namespace, report: Report) -> str | None:
    """Empty for SQLite in the data dir, a freshly recreated PostgreSQL database, or None if that failed."""
    if not args.postgres:
        return ""
    try:
        return authgate.fresh_postgres_url()
    except Exception as exc:  # noqa: BLE001
        report.notes.append(f"PostgreSQL unavailable: {exc}")
        return None


PEER_WARMUP = 8.0
PEER_REFRESH = "peer: oidc-provider refresh_token grant (rotating, JWT RS256)"


def _measure_peer(plan: scenarios.Plan, report: Report):
    try:
        _log("node-oidc-provider peer")
        server = peer.start(plan.log_dir)
    except Exception as exc:  # noqa: BLE001 - peer trouble never stops the run
        return f"peer unavailable: {str(exc)[:200]}", None, None, None
    try:
        report.run["peer"] = f"oidc-provider {peer.version(peer.cache_dir())} (node {_node_version()})"
        plan.cpu_probe = server.cpu_seconds
        auth = peer.basic_auth()
        # V8 keeps optimising for ~10 s: a 1 s warm-up measured the peer ~20 % slow. Its phases
        # warm up at least PEER_WARMUP seconds in every mode, so quick ratios are not flattered.
        warm = dataclasses.replace(plan, warmup=max(plan.warmup, PEER_WARMUP))
        cc = scenarios.peer_client_credentials(warm, server, auth)
        intro = scenarios.peer_introspection(warm, server, auth, peer.opaque_token(server))
        report.notes.append(f"node-oidc-provider's phases warmed up {warm.warmup:g} s (V8's JIT), authgate's {plan.warmup:g} s")
        report.add(Row.from_load("peer: oidc-provider client_credentials (JWT, RS256)", cc))
        report.add(Row.from_load("peer: oidc-provider introspection (opaque)", intro))
        refresh = None
        try:  # the second refresh reference; the others stand without it
            refresh, note = scenarios.peer_refresh(warm, server, auth, peer.refresh_tokens(server, plan.concurrency))
            row = report.add(Row.from_load(PEER_REFRESH, refresh))
            row.note = "; ".join(n for n in (note, row.note) if n)
        except Exception as exc:  # noqa: BLE001
            report.notes.append(f"peer refresh_token grant failed: {str(exc)[:200]}")
        return "", cc, intro, refresh
    except Exception as exc:  # noqa: BLE001
        return f"peer failed: {str(exc)[:200]}", None, None, None
    finally:
        plan.cpu_probe = None
        server.stop()


def _node_version() -> str:
    try:
        return subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def _measure_authgate(args, plan, report, server, api_key, peer_cc, peer_intro, peer_reason,
                      peer_refresh=None):
    """The empty-database phases; returns the provisioned application and users (None if that failed)."""
    try:
        p = authgate.provision(server.base_url, api_key, users=max(8, plan.login_concurrency))
    except Exception as exc:  # noqa: BLE001
        _failed(report, "provisioning (admin API)", exc)
        return None
    peer_cc_name = "oidc-provider client_credentials JWT" if peer_cc else peer_reason
    peer_intro_name = "oidc-provider introspection" if peer_intro else peer_reason
    cc_rps, cc_cpu = (peer_cc.rps, peer_cc.server_cpu) if peer_cc else (None, None)
    intro_rps, intro_cpu = (peer_intro.rps, peer_intro.server_cpu) if peer_intro else (None, None)

    if "login" in args.only:
        _login(plan, report, p)
    if "refresh" in args.only:
        _log("refresh")
        ref = dict(reference=peer_cc_name, reference_value=cc_rps, reference_cpu=cc_cpu, goal=">= 1.0x",
                   goal_ratio=1.0)
        ref_grant = dict(reference="oidc-provider refresh_token grant (rotating)" if peer_refresh else peer_reason
                         or "peer refresh_token grant failed (see notes)",
                         reference_value=peer_refresh.rps if peer_refresh else None,
                         reference_cpu=peer_refresh.server_cpu if peer_refresh else None, goal=">= 1.2x", goal_ratio=1.2)
        live: list[str] = []
        for metric in ("POST /api/jwt/refresh (OneTimeUse)", "POST /oauth2/token refresh_token (rotating)"):
            try:
                if metric.startswith("POST /api"):
                    result, note, live = scenarios.api_refresh(plan, p)
                else:
                    result, note = scenarios.oauth_refresh(plan, p, live)
                row = report.add(Row.from_load(metric, result, **ref))
                anchor = f"{result.rps / KEYCLOAK_ANCHOR:.1f}x Keycloak 26's published 120 refresh/s/vCPU"
                row.note = "; ".join(n for n in (note, anchor, row.note) if n)
                # The same work on both sides (find, rotate, store, sign): the second reference.
                report.add(Row.from_load(f"{metric} vs the peer's refresh grant", result, **ref_grant))
            except Exception as exc:  # noqa: BLE001
                _failed(report, metric, exc, **ref)
    if "introspect" in args.only:
        _log("validate and introspect")
        ref = dict(reference=peer_intro_name, reference_value=intro_rps, reference_cpu=intro_cpu,
                   goal=">= 1.0x", goal_ratio=1.0)
        try:
            jwt = scenarios.access_token(p)
        except Exception as exc:  # noqa: BLE001
            _failed(report, "GET /api/jwt/validate", exc, **ref)
        else:
            try:
                report.add(Row.from_load("GET /api/jwt/validate", scenarios.validate(plan, p, jwt), **ref))
            except Exception as exc:  # noqa: BLE001
                _failed(report, "GET /api/jwt/validate", exc, **ref)
            try:
                result, how = scenarios.introspect(plan, p, jwt)
                row = report.add(Row.from_load("POST /oauth2/introspect (JWT)", result, **ref))
                row.note = "; ".join(n for n in (f"client auth: {how}", row.note) if n)
            except Exception as exc:  # noqa: BLE001
                _failed(report, "POST /oauth2/introspect (JWT)", exc, **ref)
    if "store" in args.only:
        _log("Store backend")
        metric = "Store GET /api/load-shopping-cart (JWT)"
        ref = dict(reference="goal 5,000 req/s on one core", reference_value=5000.0, goal=">= 5,000 req/s",
                   goal_ratio=1.0)
        try:
            report.add(Row.from_load(metric, store.measure(plan, p), **ref))
        except Exception as exc:  # noqa: BLE001
            _failed(report, metric, exc, **ref)
    return p


def _ceiling(report: Report, duration: float) -> dict | None:
    try:
        return ceiling.measure(duration)
    except Exception as exc:  # noqa: BLE001 - reported in the table
        report.notes.append(f"argon2 ceiling failed: {exc}")
        return None


def _login(plan: scenarios.Plan, report: Report, p) -> None:
    """The login phase between two measurements of the raw argon2id ceiling, compared with their
    mean: on a shared machine the hash rate itself drifts by 10-20 % within a minute (other
    tenants' memory traffic through the shared L3), and a ceiling taken a minute earlier, before
    the peer's phases, moved the login ratio by as much."""
    _log("raw argon2id ceiling, then login, then the ceiling again")
    before = _ceiling(report, plan.duration)
    try:
        result = scenarios.login(plan, p)
    except Exception as exc:  # noqa: BLE001
        result, failure = None, exc
    after = _ceiling(report, plan.duration)
    measured = [h for h in (before, after) if h]
    ref = dict(reference="raw argon2id hashes/s, 1 core (m=19456,t=2,p=1)",
               reference_value=sum(h["hashes_per_second"] for h in measured) / len(measured) if measured else None,
               reference_cpu=sum(h["cpu_share"] for h in measured) / len(measured) if measured else None,
               goal=">= 0.93x", goal_ratio=0.93)
    if result is None:
        _failed(report, "POST /api/login", failure, **ref)
        return
    row = report.add(Row.from_load("POST /api/login", result, **ref))
    if measured:
        row.note = "; ".join(n for n in (row.note, "ceiling before / after the phase: " + " / ".join(
            f"{h['hashes_per_second']:.1f}" for h in measured) + " hashes/s (mean taken)") if n)


def _measure_memory(args, plan, report, work: Path, api_key: str) -> None:
    metric = "RSS per 100k refresh tokens + SSO sessions"
    ref = dict(unit="MB", reference="goal 5 MB (issue 16)", reference_value=5.0, goal="<= 5 MB", goal_ratio=1.0,
               lower_is_better=True)
    database_url = _database_url(args, report)
    # Cheap argon2 for this server only, so that N logins fit the time bound; hashing memory is
    # transient and tokens/sessions do not depend on it.
    env = {"AUTHGATE_ARGON2_MEMORY_KIB": "1024", "AUTHGATE_ARGON2_TIME_COST": "1"}
    try:
        _log("memory (fresh authgate serve)")
        if database_url is None:
            raise RuntimeError("no database")
        server = authgate.start(work / "data-memory", plan.log_dir, api_key=api_key, database_url=database_url,
                                extra_env=env, name="authgate-memory")
    except Exception as exc:  # noqa: BLE001
        _failed(report, metric, exc, **ref)
        return
    try:
        p = authgate.provision(server.base_url, api_key, users=10)
        mb, made, note = scenarios.memory(plan, server, p)
        report.add(Row(metric, value=mb, note=f"{note}; argon2 m=1024 KiB t=1 for this server", **ref))
    except Exception as exc:  # noqa: BLE001
        _failed(report, metric, exc, **ref)
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM (e.g. `timeout`) unwinds like Ctrl-C, so every started server is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    report = run(args)
    print(report.markdown())
    md, js = report.write(args.out)
    _log(f"wrote {md} and {js}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
