"""When a login needs a second factor: FusionAuth's per-application
`multiFactorConfiguration.loginPolicy` (Disabled / Enabled / Required), and step-up requested by
the client through `acr_values` (OpenID Connect Core 3.1.2.1)."""
from __future__ import annotations

from typing import Any

from authgate.mfa.amr import ACR_MFA

DISABLED, ENABLED, REQUIRED = "Disabled", "Enabled", "Required"
POLICIES = (DISABLED, ENABLED, REQUIRED)


def login_policy(app: dict[str, Any] | None) -> str:
    """`Enabled` unless the application says otherwise: a user who set up a factor is asked for it."""
    value = ((app or {}).get("doc", {}).get("multiFactorConfiguration") or {}).get("loginPolicy")
    return value if value in POLICIES else ENABLED


def second_factor_needed(app: dict[str, Any] | None, user_has_factor: bool, acr_values: tuple[str, ...] = ()) -> bool:
    policy = login_policy(app)
    if ACR_MFA in acr_values or policy == REQUIRED:
        return True
    return policy == ENABLED and user_has_factor
