"""The runner's phases beyond the empty-database figures: second-factor logins, overload, the
scaled database with its churn and purge, the rate-limited flood and the leak check. Each adds
rows with the figure it is compared with (from the same run) and the goal; a phase that fails
adds an 'n/a (why)' row and the others still run."""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path

from bench import authgate, mfa, nodes, overload, scale, scenarios, soak
from bench.authgate import Provisioned
from bench.loader import LoadResult
from bench.report import Report, Row
from bench.server import REPO_ROOT, ServerProcess

_T0 = time.monotonic()
REFRESH, VALIDATE = "POST /api/jwt/refresh (OneTimeUse)", "GET /api/jwt/validate"
LOGIN, INTROSPECT = "POST /api/login", "POST /oauth2/introspect (JWT)"


def _log(message: str) -> None:
    print(f"[bench {time.monotonic() - _T0:5.1f}s] {message}", file=sys.stderr, flush=True)


def _failed(report: Report, metric: str, exc: BaseException, **kw) -> None:
    why = f"{type(exc).__name__}: {str(exc)[:300]}"
    report.add(Row(metric, note=why, **kw))
    _log(f"{metric} failed: {why}")
    if os.environ.get("BENCH_TRACEBACK"):
        traceback.print_exc()


def _note(row: Row, *notes: str) -> Row:
    row.note = "; ".join(n for n in (*notes, row.note) if n)
    return row


# --- measurements reused across phases --------------------------------------------------------

def refresh_with(plan, p: Provisioned, seeds: list[str]) -> LoadResult:
    """Rotating /api/jwt/refresh over len(seeds) connections, from tokens made beforehand."""
    work = scenarios.RotatingRefresh(seeds, lambda token: scenarios.build_request(
        "POST", "/api/jwt/refresh", content_type=scenarios.JSON,
        body=scenarios.json.dumps({"refreshToken": token}).encode()), "refreshToken")
    return scenarios._run_py(p.base_url, work, len(seeds), plan.duration, plan.warmup, plan.cpu_probe)


def seeds(p: Provisioned, count: int) -> list[str]:
    return [s["refreshToken"] for s in scenarios.seed_refresh_tokens(p, count)]


def four(plan, p: Provisioned, jwt: str) -> dict[str, LoadResult]:
    """Login, refresh, validate and introspect once each."""
    return {LOGIN: scenarios.login(plan, p), REFRESH: scenarios.api_refresh(plan, p)[0],
            VALIDATE: scenarios.validate(plan, p, jwt), INTROSPECT: scenarios.introspect(plan, p, jwt)[0]}


def _baseline(report: Report, plan, p: Provisioned, jwt: str, metric: str) -> tuple[float, float | None]:
    """(req/s, server CPU share) of `metric` on the empty database: this run's row, else measured now."""
    row = report.row(metric)
    if row is not None and row.value:
        return row.value, row.server_cpu
    _log(f"baseline {metric}")
    result = {LOGIN: lambda: scenarios.login(plan, p), REFRESH: lambda: scenarios.api_refresh(plan, p)[0],
              VALIDATE: lambda: scenarios.validate(plan, p, jwt),
              INTROSPECT: lambda: scenarios.introspect(plan, p, jwt)[0]}[metric]()
    return result.rps, result.server_cpu


def run_all(args, plan, report: Report, server: ServerProcess, p: Provisioned, work: Path, database_url: str) -> None:
    jwt = scenarios.access_token(p)
    if "mfa" in args.only:
        second_factor(plan, report, p, jwt)
    if "overload" in args.only:
        overloaded(plan, report, p, jwt)
    if "scale" in args.only:
        scaled(args, plan, report, server, p, jwt, work, database_url)


# --- 4. second-factor logins ------------------------------------------------------------------

def second_factor(plan, report: Report, p: Provisioned, jwt: str) -> None:
    try:
        password, password_cpu = _baseline(report, plan, p, jwt, LOGIN)
    except Exception as exc:  # noqa: BLE001
        _failed(report, "TOTP / passkey login", exc)
        return
    ref = dict(reference="POST /api/login (password) of this run", reference_value=password,
               reference_cpu=password_cpu)
    for metric, measure, goal in (
        ("TOTP login (/api/login 242 + /api/two-factor/login)", mfa.totp_login, 0.90),
        ("passkey login (/api/webauthn/start + /api/webauthn/login)", mfa.passkey_login, 1.0),
    ):
        _log(metric)
        kw = dict(ref, goal=f">= {goal:.2f}x (proposed)", goal_ratio=goal)
        try:
            result, note = measure(plan, p)
            _note(report.add(Row.from_load(metric, result, **kw)), note, "logins/s (two requests each); "
                  "latency per request")
        except Exception as exc:  # noqa: BLE001
            _failed(report, metric, exc, **kw)


# --- 2. overload --------------------------------------------------------------------------------

def overloaded(plan, report: Report, p: Provisioned, jwt: str) -> None:
    step = dataclasses.replace(plan, duration=max(0.3, plan.duration / 2), warmup=min(plan.warmup, 1.0))
    for metric, run_at in (
        (REFRESH, lambda c: refresh_with(step, p, seeds(p, c))),
        (VALIDATE, lambda c: scenarios.validate(dataclasses.replace(step, concurrency=c), p, jwt)),
    ):
        name = f"overload: {metric} at 8x the saturating connections"
        try:
            _log(f"saturation sweep: {metric}")
            points, peak, saturating = overload.sweep(run_at)
            over = 8 * saturating
            _log(f"{metric} at {over} connections")
            result = (refresh_with(plan, p, seeds(p, over)) if metric == REFRESH else
                      scenarios.validate(dataclasses.replace(plan, concurrency=over), p, jwt))
            row = report.add(Row.from_load(name, result, reference=f"peak of the sweep ({saturating} connections "
                                           "saturate)", reference_value=peak, goal=">= 0.90x", goal_ratio=0.90))
            _note(row, f"{over} connections: {result.timeouts} timeouts, {result.errors} errors, "
                  f"{result.unfinished} unanswered at the end", "sweep " + overload.describe(points))
        except Exception as exc:  # noqa: BLE001
            _failed(report, name, exc, goal=">= 0.90x", goal_ratio=0.90)
    flooded(plan, report, p, jwt)


def flooded(plan, report: Report, p: Provisioned, jwt: str) -> None:
    flood_connections = max(4, plan.login_concurrency * 2)
    quiet = {}
    try:
        quiet = {m: _baseline(report, plan, p, jwt, m) for m in (REFRESH, VALIDATE)}
        tokens = seeds(p, plan.concurrency)
    except Exception as exc:  # noqa: BLE001
        _failed(report, "wrong-password flood", exc)
        return
    flood = overload.Flood(p, flood_connections, seconds=4 * (plan.duration + plan.warmup) + 60)
    started = time.monotonic()
    results: dict[str, LoadResult | Exception] = {}
    with flood:
        time.sleep(min(2.0, plan.warmup + 0.5))  # the hash pool is busy before measuring
        for metric in (REFRESH, VALIDATE):
            _log(f"{metric} under a wrong-password flood")
            try:
                results[metric] = refresh_with(plan, p, tokens) if metric == REFRESH else \
                    scenarios.validate(plan, p, jwt)
            except Exception as exc:  # noqa: BLE001
                results[metric] = exc
        statuses = flood.stop()
    elapsed = time.monotonic() - started
    flood_note = (f"flood: {flood_connections} connections of wrong passwords for unknown login ids, "
                  f"{sum(statuses.values()):,} answered in {elapsed:.0f} s ({sum(statuses.values()) / elapsed:.1f}/s: "
                  f"hashing saturated), statuses {dict(statuses)}")
    for metric, result in results.items():
        name = f"under a wrong-password flood: {metric}"
        kw = dict(reference=f"{metric} quiet, this run", reference_value=quiet[metric][0],
                  reference_cpu=quiet[metric][1], goal=">= 0.50x", goal_ratio=0.50)
        if isinstance(result, Exception):
            _failed(report, name, result, **kw)
        else:
            _note(report.add(Row.from_load(name, result, **kw)), flood_note)


def rate_limited(args, plan, report: Report, work: Path, api_key: str) -> None:
    """A server with the default login rate limit: the flood is answered 429 past the limit."""
    metric = "wrong-password flood, rate limit on: 429 answers"
    kw = dict(unit="429s", reference="requests over the limit (all answers - the limit's allowance)",
              goal=">= 0.99x", goal_ratio=0.99)
    database_url = authgate.fresh_postgres_url() if args.postgres else ""
    env = {"AUTHGATE_RATE_LIMIT_STORAGE": "memory://"}
    try:
        _log("rate-limited flood (fresh authgate serve, default limit)")
        server = authgate.start(work / "data-limited", plan.log_dir, api_key=api_key, database_url=database_url or "",
                                extra_env=env, name="authgate-limited")
    except Exception as exc:  # noqa: BLE001
        _failed(report, metric, exc, **kw)
        return
    try:
        p = authgate.provision(server.base_url, api_key, users=2)
        limit = _limit(server)
        # Past the allowance (which takes the hash's time) until as many again were refused.
        statuses, seconds = overload.rate_limited_flood(p, max(4, plan.login_concurrency * 2), 2 * limit[0] + 100,
                                                        cap=limit[1] * 0.9)
        answered = sum(statuses.values())
        allowance = limit[0] * max(1, -(-seconds // limit[1]))
        over = max(0, answered - allowance)
        row = report.add(Row(metric, value=float(statuses.get(429, 0)), reference_value=float(over) or None, **kw))
        _note(row, f"{answered:,} answers in {seconds:.1f} s from one client IP: {dict(statuses)}; "
              f"limit {limit[0]} per {limit[1]} s per IP and path (AUTHGATE_RATE_LIMIT_LOGIN default)")
    except Exception as exc:  # noqa: BLE001
        _failed(report, metric, exc, **kw)
    finally:
        server.stop()


def _limit(server: ServerProcess) -> tuple[int, float]:
    from limits import parse

    from authgate.config import Settings

    item = parse(Settings.model_fields["rate_limit_login"].default)
    return item.amount, float(item.get_expiry())


# --- 1. the database at scale ------------------------------------------------------------------

def scaled(args, plan, report: Report, server: ServerProcess, p: Provisioned, jwt: str, work: Path,
           database_url: str) -> None:
    factor = args.scale_factor
    try:
        empty = {m: _baseline(report, plan, p, jwt, m) for m in (LOGIN, REFRESH, VALIDATE, INTROSPECT)}
        db = scale.target(work / "data", database_url)
    except Exception as exc:  # noqa: BLE001
        _failed(report, "scale", exc)
        return
    try:
        _log(f"scale: bulk load x{factor:g}")
        started = time.perf_counter()
        loaded = scale.load(db, factor, _log)
        took = time.perf_counter() - started
        n = loaded["counts"]
        load_note = (f"loaded x{factor:g}: {n['users']:,} users (+ registrations), {n['refresh_tokens']:,} refresh "
                     f"tokens (70 % of families live with 4 of 5 rotated, 30 % expired), {n['sso_sessions']:,} SSO "
                     f"sessions, {n['applications']:,} applications in {took:.0f} s ("
                     + ", ".join(f"{t} {s:.0f} s" for t, s in loaded["seconds"].items()) + ")")
        _log(load_note)
        for metric in (LOGIN, REFRESH, VALIDATE, INTROSPECT):
            name = f"at scale x{factor:g}: {metric}"
            kw = dict(reference="the same, empty database (this run)", reference_value=empty[metric][0],
                      reference_cpu=empty[metric][1], goal=">= 0.90x", goal_ratio=0.90)
            _log(name)
            try:
                result = {LOGIN: lambda: scenarios.login(plan, p), REFRESH: lambda: scenarios.api_refresh(plan, p)[0],
                          VALIDATE: lambda: scenarios.validate(plan, p, jwt),
                          INTROSPECT: lambda: scenarios.introspect(plan, p, jwt)[0]}[metric]()
                _note(report.add(Row.from_load(name, result, **kw)), load_note if metric == LOGIN else "")
            except Exception as exc:  # noqa: BLE001
                _failed(report, name, exc, **kw)
        users_mb, tokens_mb = scale.per_million(loaded)
        size = loaded["sizes"]["sso_sessions"]
        for metric, value in (("database size per 1M users (with a registration each)", users_mb),
                              ("database size per 1M refresh tokens", tokens_mb)):
            report.add(Row(metric, value=value, unit="MB", goal="reported", note=(
                f"growth of the used size while loading; whole database {size['used'] / 1e6:,.0f} MB used, "
                f"{size['file'] / 1e6:,.0f} MB on disk")))
        churn(args, plan, report, p, db, loaded, work, database_url)
    finally:
        db.close()


def purge_cli(work: Path, database_url: str) -> tuple[str, float]:
    """`authgate purge` as cron would run it, beside the serving node."""
    env = {**os.environ, "AUTHGATE_LOG_LEVEL": "warning"}
    if database_url:
        env["AUTHGATE_DATABASE_URL"] = database_url
    else:
        env.pop("AUTHGATE_DATABASE_URL", None)
    started = time.perf_counter()
    done = subprocess.run([*authgate.authgate_command(), "purge", "--data-dir", str(work / "data")], env=env,
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"authgate purge: {done.returncode} {done.stderr[-500:]}")
    return " ".join(done.stdout.split()), time.perf_counter() - started


def churn(args, plan, report: Report, p: Provisioned, db, loaded: dict, work: Path, database_url: str) -> None:
    """The backlog purge, then cycles of refresh churn + as many tokens of families that expired
    (the churn of a month ago, aged out) + `authgate purge`: the used size after each purge."""
    metric = "janitor under refresh churn: used size after the last purge"
    kw = dict(unit="MB", lower_is_better=True, goal="<= 1.05x the first cycle's", goal_ratio=1.05)
    try:
        before = db.size()
        tokens_before = db.count("refresh_tokens")
        _log("scale: backlog purge (authgate purge)")
        said, seconds = purge_cli(work, database_url)
        after = db.size()
        report.add(Row("janitor: backlog purge of the loaded database", value=(before["used"] - after["used"]) / 1e6,
                       unit="MB freed", goal="reported", note=(
                           f"`authgate purge` in {seconds:.0f} s: {said}; refresh tokens {tokens_before:,} -> "
                           f"{db.count('refresh_tokens'):,}; used {before['used'] / 1e6:,.1f} -> "
                           f"{after['used'] / 1e6:,.1f} MB, on disk {before['file'] / 1e6:,.1f} -> "
                           f"{after['file'] / 1e6:,.1f} MB (SQLite reuses freed pages; PostgreSQL's size falls only after (auto)VACUUM)")))
        cycles = []
        aged = 0
        for cycle in range(max(1, args.churn_cycles)):
            _log(f"scale: churn cycle {cycle + 1}")
            work_load = scenarios.api_refresh(plan, p)[0]
            rotated = work_load.ok
            db.insert("refresh_tokens", loaded["rows"].aged_tokens(aged, rotated))
            aged += rotated
            grown = db.size()
            rows_before = db.count("refresh_tokens")
            said, seconds = purge_cli(work, database_url)
            size = db.size()
            cycles.append((rotated, grown["used"], size["used"], size["file"], seconds, rows_before,
                           db.count("refresh_tokens")))
        first, last = cycles[0][2] / 1e6, cycles[-1][2] / 1e6
        row = report.add(Row(metric, value=last, reference=f"after the first cycle's purge", reference_value=first, **kw))
        _note(row, "cycles (refreshes = aged tokens added, used MB before -> after purge, on disk, purge s, "
              "refresh-token rows before -> after purge): " + "; ".join(
                  f"{r:,}, {g / 1e6:,.1f} -> {u / 1e6:,.1f}, {f / 1e6:,.1f}, {s:.1f} s, {b:,} -> {a:,}"
                  for r, g, u, f, s, b, a in cycles),
            "the rotated tokens of live families are kept until the family expires (replay detection, "
            "RFC 9700 4.14.2), so live churn grows the table by design; what expired goes")
    except Exception as exc:  # noqa: BLE001
        _failed(report, metric, exc, **kw)


# --- 3. no leak -----------------------------------------------------------------------------------

def leak(args, plan, report: Report, work: Path, api_key: str) -> None:
    total = args.leak_requests
    metric = f"RSS after {total:,} mixed requests"
    kw = dict(unit="MB", reference=f"RSS after {max(1, total // 10):,}", goal="<= 1.10x", goal_ratio=1.10,
              lower_is_better=True)
    database_url = authgate.fresh_postgres_url() if args.postgres else ""
    env = {"AUTHGATE_ARGON2_MEMORY_KIB": "1024", "AUTHGATE_ARGON2_TIME_COST": "1"}
    try:
        _log(f"leak check: {total:,} mixed requests (fresh authgate serve)")
        server = authgate.start(work / "data-leak", plan.log_dir, api_key=api_key, database_url=database_url or "",
                                extra_env=env, name="authgate-leak")
    except Exception as exc:  # noqa: BLE001
        _failed(report, metric, exc, **kw)
        return
    try:
        p = authgate.provision(server.base_url, api_key, users=10)
        jwt = scenarios.access_token(p)
        cap = max(60.0, total / 500)
        first, last, answered, note = soak.run(p, jwt, seeds(p, plan.concurrency), total, server.rss_kib, cap)
        report.add(Row(metric, value=last / 1024, reference_value=first / 1024, note=note + "; argon2 m=1024 KiB t=1", **kw))
    except Exception as exc:  # noqa: BLE001
        _failed(report, metric, exc, **kw)
    finally:
        server.stop()


# --- capacity: several nodes on one PostgreSQL -------------------------------------------------

def several_nodes(args, plan, report: Report, work: Path, api_key: str) -> None:
    count = args.nodes
    if not args.postgres:
        report.notes.append(f"--nodes {count} skipped: several nodes need --postgres")
        return
    try:
        _log(f"{count} nodes on one PostgreSQL database")
        results = nodes.measure(plan, work, api_key, authgate.fresh_postgres_url(), count)
    except Exception as exc:  # noqa: BLE001
        _failed(report, f"{count} nodes on PostgreSQL", exc)
        return
    for what, total, commits, per in results:
        metric = f"{count} nodes, PostgreSQL: aggregate {what}"
        row = report.add(Row(metric, value=total, goal="reported", errors=sum(r.errors for r in per),
                             p50_ms=max(r.p50 for r in per), p99_ms=max(r.p99 for r in per)))
        _note(row, f"PostgreSQL {commits:,.0f} commits/s ({commits / total:.2f} per request)" if total else "",
              "per node " + ", ".join(f"{r.rps:,.0f}/s" for r in per),
              f"{plan.concurrency} connections per node; nodes, loader and PostgreSQL share "
              f"{os.cpu_count()} cores")
