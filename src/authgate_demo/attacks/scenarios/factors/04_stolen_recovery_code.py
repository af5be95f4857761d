"""A stolen recovery code.

Threat: the attacker has the password and one of the victim's recovery codes (a photo of the
printed sheet, a notes file synced to a breached cloud). From their own machine: `POST /api/login`
answers 242, and `POST /api/two-factor/login` takes the recovery code in place of a TOTP code.
Then the attacker tries the same code again.
Stolen: a session, once. Recovery codes are single use (stored as digests, deleted when spent),
so the second use fails -- and the victim, who has nine left, can see that one is gone.
Does not apply to password-only (no second factor: row f1) or passkey-only accounts (they have no
recovery codes: codes come with the first authenticator app).
"""
from __future__ import annotations

from authgate_demo.attacks import outside
from authgate_demo.attacks.factors import API
from authgate_demo.attacks.matrix import Cell, blocked, succeeded
from authgate_demo.attacks.scenarios.factors import api_login, said, token_of, two_factor_login, use_token

ID = "f4-stolen-recovery-code"
TITLE = "Stolen recovery code (with the password), used twice"


def applies(setup: str) -> str | None:
    if setup == "password":
        return "no second factor, so no recovery codes: the password alone is enough (row f1)"
    if setup == "passkey":
        return "a passkey-only account has no recovery codes to steal (they come with the first authenticator app)"
    return None


def needs(setup: str) -> tuple[str, ...]:
    return (API,)


async def _attempt(ctx, http, victim, code: str, evidence: list[str], label: str) -> str | None:  # type: ignore[no-untyped-def]
    first = await api_login(ctx, http, victim.email, victim.password)
    evidence.append(f"{label}: {said(first)}")
    if first.status_code != 242:
        return token_of(first)
    r = await two_factor_login(ctx, http, first.json()["twoFactorId"], code)
    evidence.append(f"{label}: the recovery code at {said(r)}")
    token = token_of(r)
    if token:
        used = await use_token(ctx, http, token)
        evidence.append(f"{label}: the JWT at the Store -> {used.status_code}")
        return token if used.status_code == 200 else None
    return None


async def run(ctx) -> Cell:  # type: ignore[no-untyped-def]
    victim = await ctx.account()
    stolen = victim.recovery_codes[-1]
    evidence = [f"victim {victim.email} has {len(victim.recovery_codes)} recovery codes; the attacker holds the "
                "password and one of them"]
    async with outside.client() as http:
        first = await _attempt(ctx, http, victim, stolen, evidence, "first use")
        second = await _attempt(ctx, http, victim, stolen, evidence, "second use")
    if second:
        return succeeded(stolen="a session, every time: the recovery code was accepted twice",
                         usable_for="indefinitely (the code is not spent)", mitigation="single-use recovery codes",
                         evidence=evidence)
    if first:
        return succeeded(stolen="a session (JWT and refresh token), once", usable_for="one login: the second use was refused",
                         mitigation="recovery codes are single use; keep them offline; the victim sees one spent",
                         evidence=evidence)
    return blocked("the recovery code was refused", evidence)
