"""Multi-factor and passwordless authentication, framework-free (no FastAPI import).

One rule per module: `totp` (RFC 6238 codes, accepted once), `recovery` (single-use codes),
`sealing` (TOTP secrets encrypted at rest), `factors` (enrol/check/remove a second factor, with
lockout), `pending` (a login waiting for its second factor: FusionAuth's `twoFactorId`),
`passkeys` (WebAuthn ceremonies), `policy` (when a second factor is required), `amr` (what the
factors used say in `amr`/`acr`).
"""
