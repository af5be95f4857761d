"""What the factors of a login say in tokens: `amr` (RFC 8176 section 2) and `acr` (OpenID
Connect Core 2).

Values used: `pwd` password, `otp` a one-time code (TOTP or a recovery code), `hwk` a
proof-of-possession key (a WebAuthn credential), `user` the authenticator tested user presence,
`mfa` more than one kind of factor. A passkey with user verification counts as multi-factor on its
own (the key, plus the PIN or biometric the authenticator checked).
"""
from __future__ import annotations

ACR_1FA = "urn:authgate:acr:1fa"
ACR_MFA = "urn:authgate:acr:mfa"
ACR_VALUES = (ACR_1FA, ACR_MFA)

PASSWORD = ("pwd",)
_SECOND = {"otp", "hwk"}


def with_factor(amr: tuple[str, ...] | list[str], *factor: str) -> tuple[str, ...]:
    """The methods after adding a factor; `mfa` once a password is joined by a code or a key."""
    out = set(amr) | set(factor)
    if "pwd" in out and out & _SECOND:
        out.add("mfa")
    return tuple(sorted(out))


def passkey_alone(user_verified: bool) -> tuple[str, ...]:
    return ("hwk", "mfa", "user") if user_verified else ("hwk", "user")


def acr(amr: tuple[str, ...] | list[str]) -> str:
    return ACR_MFA if "mfa" in amr else ACR_1FA


def parse(stored: str | None) -> tuple[str, ...]:
    """From the SSO session's column (space-separated); sessions from before MFA were passwords."""
    return tuple(stored.split()) if stored else PASSWORD


def dump(amr: tuple[str, ...] | list[str]) -> str:
    return " ".join(amr)
