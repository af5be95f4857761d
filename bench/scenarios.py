"""One function per measured figure. Each returns Rows or raises; the runner turns a raise into
an 'n/a (why)' row, so one broken endpoint never hides the other figures."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from bench import authgate, loader, wrk
from bench.authgate import Provisioned
from bench.loader import LoadResult, build_request
from bench.server import ServerProcess


@dataclass
class Plan:
    duration: float
    warmup: float
    concurrency: int
    login_concurrency: int
    memory_tokens: int
    memory_seconds: float  # time cap for making them
    loader: str  # "py" or "wrk" (wrk only for fixed requests)
    log_dir: Path
    # CPU seconds of the server currently under test; each row reports the core share it used.
    cpu_probe: Callable[[], float] | None = None


def _run_py(base_url: str, workload: loader.Workload, concurrency: int, duration: float,
            warmup: float, cpu_probe: Callable[[], float] | None = None) -> LoadResult:
    host, port = base_url.removeprefix("http://").split(":")
    loop = loader.new_event_loop()
    try:
        return loop.run_until_complete(loader.run_load(
            host, int(port), workload, concurrency=concurrency, duration=duration, warmup=warmup,
            cpu_probe=cpu_probe))
    finally:
        loop.close()


def fixed(plan: Plan, base_url: str, method: str, path: str, *, headers: dict[str, str] | None = None,
          body: str = "", content_type: str | None = None, concurrency: int | None = None,
          expect: int = 200) -> LoadResult:
    """The same request over and over, with wrk or the asyncio loader."""
    concurrency = concurrency or plan.concurrency
    headers = dict(headers or {})
    if plan.loader == "wrk" and wrk.available() and expect == 200:
        if content_type:
            headers["Content-Type"] = content_type
        return wrk.run(base_url + path, method=method, headers=headers, body=body,
                       concurrency=concurrency, duration=plan.duration, warmup=plan.warmup,
                       cpu_probe=plan.cpu_probe)
    raw = build_request(method, path, headers=headers, body=body.encode(), content_type=content_type)
    return _run_py(base_url, loader.FixedWorkload(raw, expect), concurrency, plan.duration, plan.warmup,
                   plan.cpu_probe)


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


# --- 1. login against the raw argon2id ceiling ----------------------------------------------

def login_workload(p: Provisioned) -> loader.Workload:
    raws = [build_request("POST", "/api/login", content_type=JSON, body=json.dumps({
        "loginId": user, "password": p.password, "applicationId": p.application_id}).encode())
        for user in p.users]
    return loader.RoundRobinWorkload(raws)


def login(plan: Plan, p: Provisioned) -> LoadResult:
    return _run_py(p.base_url, login_workload(p), plan.login_concurrency, plan.duration, plan.warmup,
                   plan.cpu_probe)


# --- 2. refresh with rotation ----------------------------------------------------------------

class RotatingRefresh:
    """Each connection owns one refresh token and replaces it with the rotated one it gets back."""

    def __init__(self, tokens: list[str], make, field: str) -> None:
        self.tokens: list[str | None] = list(tokens)
        self.make = make
        self.field = field
        self.rotated = 0
        self.same = 0

    def request(self, worker: int) -> bytes | None:
        token = self.tokens[worker]
        return None if token is None else self.make(token)

    def response(self, worker: int, status: int, body: bytes) -> bool:
        if status != 200:
            self.tokens[worker] = None  # the chain is broken: stop this connection
            return False
        new = json.loads(body).get(self.field)
        if new and new != self.tokens[worker]:
            self.rotated += 1
            self.tokens[worker] = new
        else:
            self.same += 1
        return True


def seed_refresh_tokens(p: Provisioned, count: int) -> list[dict]:
    with httpx.Client(timeout=30) as client:
        return [authgate.login(client, p, p.users[i % len(p.users)]) for i in range(count)]


def api_refresh(plan: Plan, p: Provisioned) -> tuple[LoadResult, str, list[str]]:
    """Also returns the chains' live tokens, which the OAuth phase can carry on with."""
    seeds = [s["refreshToken"] for s in seed_refresh_tokens(p, plan.concurrency)]

    def make(token: str) -> bytes:
        return build_request("POST", "/api/jwt/refresh", content_type=JSON,
                             body=json.dumps({"refreshToken": token}).encode())

    work = RotatingRefresh(seeds, make, "refreshToken")
    result = _run_py(p.base_url, work, plan.concurrency, plan.duration, plan.warmup, plan.cpu_probe)
    return result, _rotation_note(work), [t for t in work.tokens if t]


def _rotation_note(work: RotatingRefresh) -> str:
    if work.same and not work.rotated:
        return "NOT rotated: the same refresh token came back"
    return "" if not work.same else f"{work.same} responses kept the old token"


def oauth_seed_tokens(p: Provisioned, count: int, live: list[str] | None = None) -> tuple[list[str], str]:
    """Refresh tokens the /oauth2/token refresh grant accepts: /api/login's (FusionAuth accepts
    them at the token endpoint; `live` ones left by the /api/jwt/refresh phase first), else the
    password grant's (offline_access)."""
    auth = {"Authorization": basic(p.client_id, p.client_secret)}
    live = list(live or [])
    how = "the /api/jwt/refresh phase's live tokens" if live else "tokens from /api/login"
    with httpx.Client(timeout=30) as client:
        first = live.pop() if live else authgate.login(client, p, p.users[0])["refreshToken"]
        probe = client.post(p.base_url + "/oauth2/token", headers=auth,
                            data={"grant_type": "refresh_token", "refresh_token": first})
        if probe.status_code == 200 and probe.json().get("refresh_token"):
            tokens = [probe.json()["refresh_token"], *live[:count - 1]]
            if len(tokens) < count:
                tokens += [s["refreshToken"] for s in seed_refresh_tokens(p, count - len(tokens))]
            return tokens, f"seeded with {how}"
        tokens = []
        for i in range(count):
            response = client.post(p.base_url + "/oauth2/token", headers=auth, data={
                "grant_type": "password", "username": p.users[i % len(p.users)], "password": p.password,
                "scope": "openid offline_access"})
            if response.status_code != 200 or "refresh_token" not in response.json():
                raise RuntimeError(
                    f"no OAuth refresh token: /api/login's -> {probe.status_code} {probe.text[:150]}; "
                    f"password grant -> {response.status_code} {response.text[:150]}")
            tokens.append(response.json()["refresh_token"])
        return tokens, "seeded by the password grant"


def oauth_refresh(plan: Plan, p: Provisioned, live: list[str] | None = None) -> tuple[LoadResult, str]:
    seeds, how = oauth_seed_tokens(p, plan.concurrency, live)
    auth = {"Authorization": basic(p.client_id, p.client_secret)}

    def make(token: str) -> bytes:
        return build_request("POST", "/oauth2/token", headers=auth, content_type=FORM,
                             body=urlencode({"grant_type": "refresh_token", "refresh_token": token}).encode())

    work = RotatingRefresh(seeds, make, "refresh_token")
    result = _run_py(p.base_url, work, plan.concurrency, plan.duration, plan.warmup, plan.cpu_probe)
    return result, "; ".join(n for n in (how, _rotation_note(work)) if n)


# --- 3. JWT validation and introspection -----------------------------------------------------

def access_token(p: Provisioned) -> str:
    with httpx.Client(timeout=30) as client:
        return authgate.login(client, p, p.users[0])["token"]


def validate(plan: Plan, p: Provisioned, jwt: str) -> LoadResult:
    with httpx.Client(timeout=30) as client:
        probe = client.get(p.base_url + "/api/jwt/validate", headers={"Authorization": f"Bearer {jwt}"})
        if probe.status_code != 200 or "jwt" not in probe.json():
            raise RuntimeError(f"/api/jwt/validate probe: {probe.status_code} {probe.text[:200]}")
    return fixed(plan, p.base_url, "GET", "/api/jwt/validate", headers={"Authorization": f"Bearer {jwt}"})


def introspect(plan: Plan, p: Provisioned, jwt: str) -> tuple[LoadResult, str]:
    """RFC 7662 with client_secret_basic, else FusionAuth's client_id in the form."""
    variants = [
        ("client_secret_basic", {"Authorization": basic(p.client_id, p.client_secret)}, {"token": jwt}),
        ("client_id in form", {}, {"token": jwt, "client_id": p.client_id}),
        ("client_secret_post", {}, {"token": jwt, "client_id": p.client_id, "client_secret": p.client_secret}),
    ]
    tried = []
    with httpx.Client(timeout=30) as client:
        for name, headers, form in variants:
            probe = client.post(p.base_url + "/oauth2/introspect", headers=headers, data=form)
            if probe.status_code == 200 and probe.json().get("active") is True:
                result = fixed(plan, p.base_url, "POST", "/oauth2/introspect", headers=headers,
                               body=urlencode(form), content_type=FORM)
                return result, name
            tried.append(f"{name}: {probe.status_code} {probe.text[:100]}")
    raise RuntimeError("introspection probe failed: " + " | ".join(tried))


# --- peer: node-oidc-provider ----------------------------------------------------------------

def peer_client_credentials(plan: Plan, peer: ServerProcess, auth: str) -> LoadResult:
    return fixed(plan, peer.base_url, "POST", "/token", headers={"Authorization": auth},
                 body="grant_type=client_credentials&scope=api", content_type=FORM)


def peer_refresh(plan: Plan, peer: ServerProcess, auth: str, seeds: list[str]) -> tuple[LoadResult, str]:
    """node-oidc-provider's refresh_token grant, rotating: each connection carries on with the
    token it got back, as authgate's rotating refresh phases do."""
    def make(token: str) -> bytes:
        return build_request("POST", "/token", headers={"Authorization": auth}, content_type=FORM,
                             body=urlencode({"grant_type": "refresh_token", "refresh_token": token}).encode())

    work = RotatingRefresh(seeds, make, "refresh_token")
    result = _run_py(peer.base_url, work, plan.concurrency, plan.duration, plan.warmup, plan.cpu_probe)
    return result, _rotation_note(work)


def peer_introspection(plan: Plan, peer: ServerProcess, auth: str, token: str) -> LoadResult:
    return fixed(plan, peer.base_url, "POST", "/token/introspection", headers={"Authorization": auth},
                 body=urlencode({"token": token}), content_type=FORM)


# --- 5. memory per live refresh token and SSO session -----------------------------------------

REDIRECT_URI = "http://127.0.0.1/callback"  # registered by authgate.provision
_VERIFIER = "bench-pkce-verifier-" + "x" * 40
_CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(_VERIFIER.encode()).digest()).rstrip(b"=").decode()
_CSRF = "c" * 43  # the login form's double-submit token: cookie == field


async def _browser_login(client: httpx.AsyncClient, p: Provisioned, login_id: str) -> None:
    """What a browser login leaves behind: the hosted login form posted to /oauth2/authorize
    (an SSO session), then the code exchanged with offline_access (a refresh token)."""
    form = {"client_id": p.client_id, "redirect_uri": REDIRECT_URI, "response_type": "code",
            "scope": "offline_access", "state": "s", "code_challenge": _CHALLENGE,
            "code_challenge_method": "S256", "loginId": login_id, "password": p.password, "csrf_token": _CSRF}
    answer = await client.post("/oauth2/authorize", data=form, headers={"Cookie": f"authgate.csrf={_CSRF}"})
    code = parse_qs(urlsplit(answer.headers.get("location", "")).query).get("code", [""])[0]
    if answer.status_code not in (302, 303) or not code:
        raise RuntimeError(f"hosted login: {answer.status_code} {answer.headers.get('location', answer.text[:200])}")
    tokens = await client.post("/oauth2/token", headers={"Authorization": basic(p.client_id, p.client_secret)}, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": _VERIFIER})
    if tokens.status_code != 200 or "refresh_token" not in tokens.json():
        raise RuntimeError(f"code exchange: {tokens.status_code} {tokens.text[:200]}")


async def _browser_logins(p: Provisioned, count: int, concurrency: int, seconds: float,
                          sample: Callable[[int], None] | None = None) -> int:
    """`count` browser logins, or as many as fit in `seconds`; `sample(done)` every 0.2 s."""
    left = count
    done = 0
    deadline = time.monotonic() + seconds

    async def worker(client: httpx.AsyncClient, index: int) -> None:
        nonlocal left, done
        mine = 0
        while left > 0 and time.monotonic() < deadline:
            left -= 1
            await _browser_login(client, p, p.users[(index + mine * concurrency) % len(p.users)])
            mine += 1
            done += 1

    async def sampler() -> None:
        while True:
            sample(done)
            await asyncio.sleep(0.2)

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    sampling = asyncio.ensure_future(sampler()) if sample else None
    try:
        async with httpx.AsyncClient(base_url=p.base_url, timeout=30, limits=limits) as client:
            await asyncio.wait_for(asyncio.gather(*(worker(client, i) for i in range(concurrency))), seconds + 60)
    finally:
        if sampling:
            sampling.cancel()
    return done


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of y over x: steadier than two end points when RSS moves in steps."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    var = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / var if var else 0.0


def memory(plan: Plan, server: ServerProcess, p: Provisioned) -> tuple[float, int, str]:
    """MB of server RSS growth per 100,000 browser logins, each leaving a live SSO session and
    a live refresh token: the slope of VmRSS over logins done, sampled every 0.2 s."""
    samples: list[tuple[float, float]] = []

    def logins(count: int, seconds: float, sample: Callable[[int], None] | None = None) -> int:
        loop = loader.new_event_loop()
        try:
            return loop.run_until_complete(_browser_logins(p, count, plan.login_concurrency, seconds, sample))
        finally:
            loop.close()

    logins(max(20, plan.memory_tokens // 5), plan.memory_seconds / 2)  # warm caches, pools, arenas
    time.sleep(0.5)
    before = server.rss_kib()
    started = time.perf_counter()
    made = logins(plan.memory_tokens, plan.memory_seconds, lambda done: samples.append((done, server.rss_kib())))
    elapsed = time.perf_counter() - started
    time.sleep(0.5)
    after = server.rss_kib()
    samples.append((made, after))
    if made < 2:
        raise RuntimeError(f"only {made} logins in {elapsed:.0f}s")
    mb_per_100k = slope(samples) * 100_000 / 1024
    return mb_per_100k, made, (f"RSS {before / 1024:.1f} -> {after / 1024:.1f} MB over {made:,} browser logins "
                               f"(hosted login form + code exchange with offline_access, {made / elapsed:.0f}/s); "
                               f"slope of {len(samples)} samples")
