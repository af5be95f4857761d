"""Password hashing: argon2id by default, imported PBKDF2-SHA256 and bcrypt hashes verified and
upgraded to argon2id on the next successful login.

Hashing is CPU-bound and deliberately slow, so it runs in a thread pool sized to the cores:
argon2-cffi releases the GIL, so other requests keep flowing while a hash is computed.

The pool's threads run at a lower scheduling priority than the event loop (Linux: nice +10 per
thread). With the GIL released, the kernel shares the core between a busy hash thread and the loop
by weight: at equal priority a flood of wrong passwords left the loop half the core, so refresh and
validation fell to about half their quiet rate (bench, overload phase). At nice 10 the loop gets
~90 % while it has work; hashes still get the whole core when the loop is idle, so a login alone
is as fast as before, and under token traffic a hash is slowed, never stopped (CFS gives every
runnable thread its weight's share).
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import secrets
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import bcrypt
from argon2 import PasswordHasher as _Argon2, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# FusionAuth's `encryptionScheme` names for imported hashes.
PBKDF2_SCHEME = "salted-pbkdf2-hmac-sha256"
BCRYPT_SCHEME = "bcrypt"
ARGON2_SCHEME = "argon2id"
_PBKDF2_PREFIX = "$pbkdf2-sha256$"


def encode_pbkdf2(factor: int, salt_b64: str, hash_b64: str) -> str:
    """How an imported FusionAuth PBKDF2 hash is kept: `$pbkdf2-sha256$<factor>$<salt>$<hash>` (base64)."""
    return f"{_PBKDF2_PREFIX}{factor}${salt_b64}${hash_b64}"


def _verify_pbkdf2(stored: str, password: str) -> bool:
    try:
        factor_s, salt_b64, hash_b64 = stored[len(_PBKDF2_PREFIX):].split("$")
        expected = base64.b64decode(hash_b64)
        derived = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt_b64), int(factor_s),
                                      dklen=len(expected) or 32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(derived, expected)


def _verify_bcrypt(stored: str, password: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode()[:72], stored.encode())
    except ValueError:
        return False


HASH_THREAD_NICENESS = 10  # scheduling weight 110 against the loop's 1024 (kernel sched_prio_to_weight)


def _lower_priority() -> None:
    """Run in each hashing thread as it starts. Linux only: there setpriority() on a thread id
    changes that thread alone; elsewhere it would slow the whole process, so nothing is done."""
    if sys.platform == "linux":
        try:
            tid = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + HASH_THREAD_NICENESS))
        except OSError:  # a sandbox that forbids it: hashing still works at normal priority
            pass


class PasswordHasher:
    def __init__(self, memory_kib: int = 19456, time_cost: int = 2, parallelism: int = 1, threads: int = 2) -> None:
        self._argon2 = _Argon2(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID)
        self._pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="password",
                                        initializer=_lower_priority)
        # Verified against when the user does not exist, so both paths cost one argon2 verify.
        self._dummy = self._argon2.hash(secrets.token_urlsafe(16))

    def hash_sync(self, password: str) -> str:
        return self._argon2.hash(password)

    def _verify_sync(self, stored: str | None, password: str) -> tuple[bool, bool]:
        """Returns (matches, needs_rehash)."""
        if not stored:
            self._burn(password)
            return False, False
        if stored.startswith(_PBKDF2_PREFIX):
            return _verify_pbkdf2(stored, password), True
        if stored.startswith(("$2a$", "$2b$", "$2y$")):
            return _verify_bcrypt(stored, password), True
        try:
            self._argon2.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False, False
        return True, self._argon2.check_needs_rehash(stored)

    def _burn(self, password: str) -> None:
        try:
            self._argon2.verify(self._dummy, password)
        except VerificationError:
            pass

    async def hash(self, password: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self.hash_sync, password)

    async def verify(self, stored: str | None, password: str) -> tuple[bool, bool]:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._verify_sync, stored, password)

    def close(self) -> None:
        self._pool.shutdown(wait=False)
