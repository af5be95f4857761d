"""The failed-login lockout: how many password guesses anyone gets, and who is locked out.

Issue 15, findings 1 and 5. Rules:
1. **A guess is reserved before the hash.** Each attempt first counts itself, in one atomic
   statement on the shared database (storage/repos/login_attempts.py), and only an attempt whose
   number is within the threshold is hashed. Forty simultaneous requests -- on one node or
   spread over several -- get numbers 1..40; five are hashed, the rest are refused at once. A
   successful login gives its reservation back (`refund`), so an owner who logs in often is never
   counted against.
2. **The lock hurts the attacker, not the owner.** Guesses are counted per (account, source
   address) pair, `FAILED_LOGIN_THRESHOLD` per `FAILED_LOGIN_WINDOW_SECONDS`; a pair that reaches
   it is locked for `LOCKOUT_SECONDS` (and every refused try while locked starts that again). The
   owner, from another address, still logs in. Against guessing spread over many addresses, the
   account as a whole takes `FAILED_LOGIN_ACCOUNT_THRESHOLD` guesses per window before it locks
   for everyone: an attacker must control that many tries' worth of addresses to lock anyone out.
3. **Unknown login ids are counted exactly like existing ones** (by a digest of the normalized
   login id), so the lock answers the same whether the account exists (no enumeration, CWE-204).
   Rows expire with their window and lock and are purged by the janitor (storage/purge.py).
The source is the request's client address (events.current(): the TCP peer, or the client a
trusted proxy forwards for); a call outside any request counts under one empty source.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from authgate import events
from authgate.clock import clock
from authgate.registry import Registry
from authgate.storage.transaction import Tx


@dataclass(frozen=True)
class Reservation:
    pair: str
    account: str
    allowed: bool


def owner(user_id: str | None, login_id: str) -> str:
    """The account a guess is counted against: the user's id, or for a login id nobody has, a
    digest of it (normalized as lookups are: case and surrounding spaces do not matter)."""
    if user_id is not None:
        return user_id
    return hashlib.sha256(f"unknown|{login_id.strip().lower()}".encode()).hexdigest()


def _key(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


async def reserve(reg: Registry, account_owner: str) -> Reservation:
    """Count this attempt (rule 1) and say whether it may be hashed."""
    s = reg.settings
    source = events.current().ip or ""
    pair, account = _key("pair", account_owner, source), _key("account", account_owner)
    now, lockout_ms = clock.now_ms(), s.lockout_seconds * 1000
    account_threshold = max(s.failed_login_account_threshold, s.failed_login_threshold)
    rows = await reg.db.login_attempts.reserve(
        pair, account, account_owner, now=now, window_ms=s.failed_login_window_seconds * 1000, lockout_ms=lockout_ms,
        threshold=s.failed_login_threshold, account_threshold=account_threshold)
    allowed = True
    for row in rows:
        threshold = account_threshold if row["key"] == account else s.failed_login_threshold
        locked = row["locked_until_instant"]
        set_by_us = row["count"] == threshold and locked == now + lockout_ms  # this is the last allowed guess
        if row["count"] > threshold or (locked is not None and locked > now and not set_by_us):
            allowed = False
    return Reservation(pair, account, allowed)


async def refund(reg: Registry, reservation: Reservation) -> None:
    """The password was right: the pair starts afresh and the account gets this attempt back."""
    await reg.db.login_attempts.refund(reservation.pair, reservation.account)


async def forget(reg: Registry, user_id: str, tx: Tx | None = None) -> None:
    """An administrator unlocked the user: every counter of the account goes."""
    await reg.db.login_attempts.forget(user_id, tx)
