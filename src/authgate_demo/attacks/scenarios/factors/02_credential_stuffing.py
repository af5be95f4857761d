"""Credential stuffing against the lockout.

Threat: the attacker runs a combo list -- passwords leaked for this email in several breaches,
oldest first, the current one last -- against the Login API from their own machine, few guesses
per account so the lockout does not trip. Then, to measure the lockout itself, a common-password
dictionary against the same account (and, where a 242 asked for a code, guesses at the 6-digit
code), until the IdP stops judging guesses; then the right secret once more.
Stolen: a session, if the right password is in the list within the lockout's budget and it is all
the IdP asks for.
What limits it: the lockout (5 wrong guesses in 60 s lock the account for 180 s; wrong codes count
too) bounds guessing, not a list that holds the right password; a second factor stops the list.
"""
from __future__ import annotations

from authgate_demo.attacks import outside
from authgate_demo.attacks.factors import API
from authgate_demo.attacks.matrix import Cell, blocked, succeeded
from authgate_demo.attacks.scenarios.factors import api_login, said, token_of, two_factor_login, use_token

ID = "f2-credential-stuffing"
TITLE = "Credential stuffing: a list of leaked passwords against the lockout"

OLD_LEAKS = ("Summer2019!", "letmein-2020", "hunter2hunter2")  # the victim's older passwords, from other breaches
DICTIONARY = ("123456789", "password1", "qwerty123", "iloveyou1", "football1", "sunshine1", "princess1",
              "dragon123", "monkey123", "baseball1")
MAX_CODE_GUESSES = 10


def applies(setup: str) -> str | None:
    return None


def needs(setup: str) -> tuple[str, ...]:
    return () if setup == "password" else (API,)


def _count(statuses: list[int], status: int) -> int:
    return sum(1 for s in statuses if s == status)


async def run(ctx) -> Cell:  # type: ignore[no-untyped-def]
    victim = await ctx.account()
    evidence = [f"victim {victim.email} ({ctx.setup}); combo list: {len(OLD_LEAKS)} old leaked passwords, then the current one"]
    async with outside.client() as http:
        statuses = [(await api_login(ctx, http, victim.email, p)).status_code for p in OLD_LEAKS]
        evidence.append(f"old leaks: statuses {statuses} ({_count(statuses, 404)} judged wrong, "
                        f"{_count(statuses, 409)} refused by the lockout)")
        right = await api_login(ctx, http, victim.email, victim.password)
        evidence.append("the current password from the list: " + said(right))
        token = token_of(right)
        if token:
            used = await use_token(ctx, http, token)
            evidence.append(f"the JWT at the Store: -> {used.status_code}")
            token = token if used.status_code == 200 else None
        # The lockout, measured: keep guessing until the IdP stops judging.
        body = right.json() if right.status_code == 242 else {}
        codes = {m.get("method") for m in body.get("methods") or []}
        if "authenticator" in codes:
            guesses: list[int] = []
            valid = victim.window_codes()
            for wrong in (f"{n:06d}" for n in range(100_000, 1_000_000, 77_777) if f"{n:06d}" not in valid):
                if len(guesses) == MAX_CODE_GUESSES:
                    break
                guesses.append((await two_factor_login(ctx, http, body["twoFactorId"], wrong)).status_code)
                if guesses[-1] == 409:
                    break
            evidence.append(f"guessing the 6-digit code with the twoFactorId: statuses {guesses} -- "
                            f"{_count(guesses, 421)} guesses judged before the lockout")
            last = await two_factor_login(ctx, http, body["twoFactorId"], await victim.next_code())
            evidence.append(f"then the right code: {said(last)}")
        else:
            tries = []
            for guess in DICTIONARY:
                tries.append((await api_login(ctx, http, victim.email, guess)).status_code)
                if tries[-1] == 409:
                    break
            evidence.append(f"dictionary against the same account: statuses {tries} -- "
                            f"{_count(tries, 404)} guesses judged before the lockout")
            last = await api_login(ctx, http, victim.email, victim.password)
            evidence.append(f"then the right password again: {said(last)}")
    if token:
        return succeeded(stolen="a JWT and refresh token: the right password was in the list, inside the lockout's budget",
                         usable_for=f"the JWT {ctx.jwt_ttl}s, renewable with the refresh token",
                         mitigation="a second factor; the lockout only bounds how many passwords are judged",
                         evidence=evidence)
    why = "second factor: the list's right password only earns a 242"
    why += (" (and the lockout counts wrong codes too)" if "authenticator" in codes
            else " -- a passkey has no code to guess" if "webauthn" in codes else "")
    return blocked(why, evidence, stolen="the knowledge that the password is right (242)")
