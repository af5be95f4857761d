"""The deliverer: one background task per node that sends the webhook outbox.

- **At-least-once.** A row is claimed with a lease (storage/repos/webhooks.py) and marked
  delivered only after the receiver answered 2xx; a node killed mid-delivery leaves the row to be
  claimed again when the lease ends, by itself after a restart or by another node.
- **Retries** with exponential backoff (`BACKOFF_SECONDS` doubling, up to `MAX_BACKOFF_SECONDS`,
  plus up to 10 % jitter so a receiver coming back is not hit by every node at once); after
  `webhook_max_attempts` the row is dead-lettered (`state = dead`), visible in the console and
  resendable. Every attempt is recorded: status, error, duration.
- **Bounded concurrency.** At most `webhook_concurrency` deliveries in flight per node, each
  bounded by its webhook's connect and read timeouts (and a total deadline), on their own tasks:
  a slow receiver occupies a delivery slot, never a request handler.
- **No redirects**, no response body read, and the SSRF check (`ssrf.py`) on every attempt.
- **TLS** to an https receiver is verified against the system's CAs and the host name in the URL
  (sent as SNI, although we connect to the checked address); a webhook's own `sslCertificate`
  replaces the system's CAs for that receiver (a self-signed or private-CA certificate).
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import ssl
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from authgate.clock import clock
from authgate.storage.repos.webhooks import DEAD, DELIVERED, PENDING
from authgate.webhooks import signing, ssrf

if TYPE_CHECKING:
    from authgate.registry import Registry

log = logging.getLogger("authgate.webhooks")

BACKOFF_SECONDS = 10.0
MAX_BACKOFF_SECONDS = 3600.0
USER_AGENT = "authgate-webhooks"
MAX_PINNED_CLIENTS = 64  # one connection pool per distinct `sslCertificate`; beyond, a client per delivery


def backoff_ms(attempts: int) -> int:
    """Delay before the next try after `attempts` failed ones (1 -> ~10 s, 2 -> ~20 s, ... <= 1 h)."""
    delay = min(BACKOFF_SECONDS * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)
    return int(delay * (1 + random.random() * 0.1) * 1000)


def _connect_url(url: str, target: ssrf.Target) -> tuple[str, str]:
    """(URL naming the checked address, Host header): connect where we checked, say what we were asked."""
    parts = urlsplit(url)
    address = f"[{target.address}]" if ":" in target.address else target.address
    default = 443 if target.scheme == "https" else 80
    host_header = target.host if target.port == default else f"{target.host}:{target.port}"
    if ":" in target.host and not target.host.startswith("["):
        host_header = f"[{target.host}]" if target.port == default else f"[{target.host}]:{target.port}"
    return urlunsplit((parts.scheme, f"{address}:{target.port}", parts.path or "/", parts.query, "")), host_header


class Deliverer:
    def __init__(self, reg: "Registry") -> None:
        s = reg.settings
        self.reg = reg
        self.concurrency, self.max_attempts = s.webhook_concurrency, s.webhook_max_attempts
        self.lease_ms, self.poll = int(s.webhook_lease_seconds * 1000), s.webhook_poll_seconds
        self._wake = asyncio.Event()
        self._inflight: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None
        self._pinned: dict[str, httpx.AsyncClient] = {}

    def _new_client(self, verify: ssl.SSLContext | bool = True) -> httpx.AsyncClient:
        # No proxies from the environment, no redirects, a connection pool as big as our concurrency.
        return httpx.AsyncClient(follow_redirects=False, trust_env=False, verify=verify,
                                 limits=httpx.Limits(max_connections=self.concurrency))

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = self._new_client()
        return self._client

    def _pinned_client(self, pem: str) -> tuple[httpx.AsyncClient, bool]:
        """(client trusting only `pem`, whether the caller must close it)."""
        key = hashlib.sha256(pem.encode()).hexdigest()
        client = self._pinned.get(key)
        if client is not None:
            return client, False
        context = ssl.create_default_context(cadata=pem)  # these certificates only, not the system's
        context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN  # a pinned leaf certificate is an anchor too
        client = self._new_client(context)
        if len(self._pinned) >= MAX_PINNED_CLIENTS:
            return client, True
        self._pinned[key] = client
        return client, False

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="authgate-webhooks")

    async def stop(self) -> None:
        """Stop claiming and cancel what is in flight: those rows' leases run out and they are sent again."""
        tasks = [t for t in (self._task, *self._inflight) if t is not None]
        self._task = None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for client in (self._client, *self._pinned.values()):
            if client is not None:
                await client.aclose()
        self._client, self._pinned = None, {}

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                claimed = await self.run_once()
            except Exception:  # the database is away: try again at the next poll
                log.exception("webhook outbox poll failed")
                claimed = 0
            if not claimed or len(self._inflight) >= self.concurrency:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), self.poll)
                except TimeoutError:
                    pass

    async def run_once(self) -> int:
        """Claim as many due deliveries as there are free slots and start them; returns how many."""
        free = self.concurrency - len(self._inflight)
        if free <= 0 or not await self.reg.db.webhook_deliveries.any_due():
            return 0
        rows = await self.reg.db.webhook_deliveries.claim(free, self.lease_ms)
        for row in rows:
            task = asyncio.get_running_loop().create_task(self._deliver(row))
            self._inflight.add(task)
            task.add_done_callback(self._done)
        return len(rows)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        self._wake.set()  # a slot is free

    async def drain(self) -> None:
        """Wait for the deliveries in flight (tests, shutdown)."""
        while self._inflight:
            await asyncio.gather(*list(self._inflight), return_exceptions=True)

    async def _deliver(self, row: dict[str, Any]) -> None:
        db = self.reg.db.webhook_deliveries
        webhook = await self.reg.db.webhooks.get(row["webhook_id"])
        if webhook is None:  # deleted meanwhile (its rows cascade); nothing to send to
            return
        started = time.monotonic()
        status, error = await self._send(webhook["doc"], row["body"].encode())
        duration = int((time.monotonic() - started) * 1000)
        try:
            await db.record_attempt(row["id"], status, error, duration)
            if error is None:
                await db.finish(row["id"], DELIVERED)
            elif row["attempts"] >= self.max_attempts:
                log.warning("webhook %s: delivery %s dead after %d attempts: %s", webhook["id"], row["id"],
                            row["attempts"], error)
                await db.finish(row["id"], DEAD, error=error)
            else:
                await db.finish(row["id"], PENDING, next_attempt=clock.now_ms() + backoff_ms(row["attempts"]), error=error)
        except Exception:  # the lease will bring the row back
            log.exception("could not record the outcome of delivery %s", row["id"])

    async def _send(self, doc: dict[str, Any], body: bytes) -> tuple[int | None, str | None]:
        """(status, error): error is None exactly when the receiver answered 2xx."""
        connect, read = doc["connectTimeout"] / 1000, doc["readTimeout"] / 1000
        try:
            target = await ssrf.resolve(doc["url"], self.reg.webhooks.allowed)
            url, host = _connect_url(doc["url"], target)
            headers = {**(doc.get("headers") or {}), "Host": host, "Content-Type": "application/json",
                       "User-Agent": USER_AGENT}
            sig = doc.get("signatureConfiguration") or {}
            if sig.get("enabled"):
                headers[signing.HEADER] = await signing.signature(self.reg.keys, body, sig.get("signingKeyId"))
            extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
            timeout = httpx.Timeout(connect=connect, read=read, write=read, pool=connect)
            pem = doc.get("sslCertificate") if target.scheme == "https" else None
            client, one_off = self._pinned_client(pem) if pem else (self.client, False)
            try:
                async with asyncio.timeout(connect + read + 1):
                    async with client.stream("POST", url, content=body, headers=headers, timeout=timeout,
                                             extensions=extensions) as response:
                        status = response.status_code
            finally:
                if one_off:
                    await client.aclose()
        except ssrf.Refused as exc:
            return None, f"refused: {exc}"
        except (httpx.TimeoutException, TimeoutError):
            return None, "timed out"
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:512]
        except ssl.SSLError as exc:  # a certificate that is not PEM after all (stored before the check)
            return None, f"TLS: {exc}"[:512]
        if 200 <= status < 300:
            return status, None
        if 300 <= status < 400:
            return status, f"HTTP {status}: redirects are not followed"
        return status, f"HTTP {status}"
