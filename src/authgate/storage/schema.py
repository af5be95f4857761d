"""The relational schema, one table per stored model.

Instants are epoch milliseconds (FusionAuth's convention). Secrets (refresh tokens, codes, API
keys, SSO session ids) are stored as SHA-256 digests (`storage/db.digest`), never raw: they are
high-entropy random values, so a plain hash suffices where a password would need argon2id.
"""
from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, ForeignKey, Index, Integer, MetaData, String, Table, Text

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Id = lambda: String(36)  # noqa: E731 - UUIDs as text work the same on SQLite and PostgreSQL

users = Table(
    "users", metadata,
    Column("id", Id(), primary_key=True),
    Column("email", String(320), nullable=True, unique=True),  # stored lower-cased
    Column("username", String(320), nullable=True, unique=True),  # stored lower-cased
    Column("password_hash", Text, nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("doc", JSON, nullable=False),  # the rest of FusionAuth's User object
    Column("version", Integer, nullable=False, default=1),  # optimistic concurrency
    Column("insert_instant", BigInteger, nullable=False),
    Column("last_update_instant", BigInteger, nullable=False),
)

applications = Table(
    "applications", metadata,
    Column("id", Id(), primary_key=True),  # also the OAuth client_id, as in FusionAuth
    Column("name", String(255), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("doc", JSON, nullable=False),
    Column("version", Integer, nullable=False, default=1),
    Column("insert_instant", BigInteger, nullable=False),
    Column("last_update_instant", BigInteger, nullable=False),
)

registrations = Table(
    "registrations", metadata,
    Column("id", Id(), primary_key=True),
    Column("user_id", Id(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("application_id", Id(), ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
    Column("doc", JSON, nullable=False),  # roles, username, data, ...
    Column("insert_instant", BigInteger, nullable=False),
    Column("last_update_instant", BigInteger, nullable=False),
    Index("uq_registrations_user_app", "user_id", "application_id", unique=True),
)

api_keys = Table(
    "api_keys", metadata,
    Column("id", Id(), primary_key=True),
    Column("key_digest", String(64), nullable=False, unique=True),
    Column("doc", JSON, nullable=False),  # permissions, metaData
    Column("insert_instant", BigInteger, nullable=False),
)

signing_keys = Table(
    "signing_keys", metadata,
    Column("id", Id(), primary_key=True),  # the JWT `kid`
    Column("algorithm", String(16), nullable=False),
    Column("name", String(255), nullable=False),
    Column("public_pem", Text, nullable=True),
    Column("private_pem", Text, nullable=True),  # or the HMAC secret for HS256
    Column("insert_instant", BigInteger, nullable=False),
    # Set when rotated out: the public key stays in the JWKS until this instant.
    Column("retire_instant", BigInteger, nullable=True),
)

refresh_tokens = Table(
    "refresh_tokens", metadata,
    Column("id", Id(), primary_key=True),  # FusionAuth's refreshTokenId
    Column("token_digest", String(64), nullable=False, unique=True),
    Column("family_id", Id(), nullable=False, index=True),  # rotation chain: reuse revokes it all
    Column("user_id", Id(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("application_id", Id(), ForeignKey("applications.id", ondelete="CASCADE"), nullable=True, index=True),
    Column("session_id", Id(), nullable=True, index=True),  # SSO session it came from, if any
    Column("start_instant", BigInteger, nullable=False),  # start of the family (max lifetime)
    Column("insert_instant", BigInteger, nullable=False),
    Column("expires_instant", BigInteger, nullable=False),
    Column("used_instant", BigInteger, nullable=True),  # rotated away (OneTimeUse)
    Column("revoked_instant", BigInteger, nullable=True),
    Column("doc", JSON, nullable=False),  # scope, auth_time, dpop jkt, device, metaData
)

sso_sessions = Table(
    "sso_sessions", metadata,
    Column("id", Id(), primary_key=True),  # the `sid` claim
    Column("cookie_digest", String(64), nullable=False, unique=True),
    Column("user_id", Id(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("auth_instant", BigInteger, nullable=False),
    Column("insert_instant", BigInteger, nullable=False),
    Column("expires_instant", BigInteger, nullable=False),
    Column("revoked_instant", BigInteger, nullable=True),
    # The factors of the login (RFC 8176 `amr` values, space-separated): what `acr` is derived from.
    Column("amr", String(64), nullable=True),
)

authorization_codes = Table(
    "authorization_codes", metadata,
    Column("code_digest", String(64), primary_key=True),
    Column("application_id", Id(), ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Id(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("session_id", Id(), nullable=True),
    Column("grant_id", Id(), nullable=False),  # what the code issued, for reuse revocation
    Column("insert_instant", BigInteger, nullable=False),
    Column("expires_instant", BigInteger, nullable=False),
    Column("consumed_instant", BigInteger, nullable=True),
    Column("doc", JSON, nullable=False),  # redirect_uri, scope, nonce, code_challenge, auth_time
)

login_failures = Table(
    "login_failures", metadata,
    Column("user_id", Id(), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("window_start_instant", BigInteger, nullable=False),
    Column("locked_until_instant", BigInteger, nullable=True),
)

# Password guesses (authgate/lockout.py): one counter per (account, source) and one per account,
# for known users and unknown login ids alike. `key` and `account` are digests, never a login id
# or an address in clear; a row may go once `expires_instant` (window and lock over) has passed.
login_attempts = Table(
    "login_attempts", metadata,
    Column("key", String(64), primary_key=True),
    Column("account", String(64), nullable=False, index=True),
    Column("count", Integer, nullable=False),
    Column("window_start_instant", BigInteger, nullable=False),
    Column("locked_until_instant", BigInteger, nullable=True),
    Column("expires_instant", BigInteger, nullable=False, index=True),
)

# Replay caches (DPoP proof jti, used once-only values) shared by every node.
used_nonces = Table(
    "used_nonces", metadata,
    Column("value_digest", String(64), primary_key=True),
    Column("expires_instant", BigInteger, nullable=False, index=True),
)

# Revoked grants: access tokens carry `gid`; introspection/validate refuse a revoked one.
revoked_grants = Table(
    "revoked_grants", metadata,
    Column("grant_id", Id(), primary_key=True),
    Column("revoked_instant", BigInteger, nullable=False),
    Column("expires_instant", BigInteger, nullable=False),
)

# Multi-factor authentication (authgate/mfa/). A TOTP method per row (FusionAuth's
# "authenticator"); `last_step` is the newest RFC 6238 time step accepted, so a code is used once.
mfa_methods = Table(
    "mfa_methods", metadata,
    Column("id", String(36), primary_key=True),  # FusionAuth's method id
    Column("user_id", Id(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("method", String(32), nullable=False),
    Column("secret", Text, nullable=False),  # sealed (authgate/mfa/sealing.py), never returned after enrolment
    Column("last_step", BigInteger, nullable=False),
    Column("insert_instant", BigInteger, nullable=False),
)

# Single-use recovery codes, stored as digests; using one deletes its row.
recovery_codes = Table(
    "recovery_codes", metadata,
    Column("code_digest", String(64), primary_key=True),
    Column("user_id", Id(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("insert_instant", BigInteger, nullable=False),
)

# WebAuthn credentials (passkeys): several per user, each named.
webauthn_credentials = Table(
    "webauthn_credentials", metadata,
    Column("id", Id(), primary_key=True),
    Column("credential_id", String(1400), nullable=False, unique=True),  # base64url, <= 1023 bytes raw
    Column("user_id", Id(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("public_key", Text, nullable=False),  # base64url COSE key
    Column("sign_count", BigInteger, nullable=False),
    Column("name", String(255), nullable=False),
    Column("doc", JSON, nullable=False),  # displayName, transports, aaguid, discoverable, lastUseInstant
    Column("insert_instant", BigInteger, nullable=False),
)

# Server-side single-use values with an expiry: WebAuthn challenges and two-factor login ids
# (`twoFactorId`), keyed by the digest of the value the client holds.
mfa_challenges = Table(
    "mfa_challenges", metadata,
    Column("id_digest", String(64), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("user_id", Id(), ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("expires_instant", BigInteger, nullable=False, index=True),
    Column("doc", JSON, nullable=False),
)

# --- events (authgate/events.py) -------------------------------------------------------------

# FusionAuth's audit log ids are numbers; BIGINT on PostgreSQL, SQLite's rowid alias there.
_Serial = lambda: BigInteger().with_variant(Integer(), "sqlite")  # noqa: E731

# One row per event except successful logins (those are login records). Never foreign keys:
# the log outlives the users and applications it names.
audit_log = Table(
    "audit_log", metadata,
    Column("id", _Serial(), primary_key=True, autoincrement=True),
    Column("event_id", Id(), nullable=False, unique=True),
    Column("event_type", String(64), nullable=False),
    Column("insert_instant", BigInteger, nullable=False, index=True),
    Column("insert_user", String(400), nullable=False),  # FusionAuth's insertUser: who did it
    Column("actor_kind", String(16), nullable=False),
    Column("actor_id", String(64), nullable=True),
    Column("user_id", Id(), nullable=True),  # whom it concerns
    Column("application_id", Id(), nullable=True),
    Column("ip_address", String(64), nullable=True),
    Column("user_agent", String(512), nullable=True),
    Column("message", Text, nullable=False),
    Column("data", JSON, nullable=False),  # the redacted payload
    Index("ix_audit_log_user_instant", "user_id", "insert_instant"),
    Index("ix_audit_log_type_instant", "event_type", "insert_instant"),
)

# FusionAuth's login records: one per successful login.
login_records = Table(
    "login_records", metadata,
    Column("id", Id(), primary_key=True),
    Column("user_id", Id(), nullable=False),
    Column("application_id", Id(), nullable=True),
    Column("instant", BigInteger, nullable=False, index=True),
    Column("login_id", String(320), nullable=True),
    Column("ip_address", String(64), nullable=True),
    Column("user_agent", String(512), nullable=True),
    Index("ix_login_records_user_instant", "user_id", "instant"),
    Index("ix_login_records_app_instant", "application_id", "instant"),
)

# --- webhooks (authgate/webhooks/) ---------------------------------------------------------

webhooks = Table(
    "webhooks", metadata,
    Column("id", Id(), primary_key=True),
    Column("doc", JSON, nullable=False),  # FusionAuth's Webhook object
    Column("insert_instant", BigInteger, nullable=False),
    Column("last_update_instant", BigInteger, nullable=False),
)

# The durable outbox: one row per (event, webhook). `next_attempt_instant` doubles as the lease:
# claiming a row pushes it past the delivery's timeout, so a node killed mid-delivery leaves a row
# that becomes due again (at-least-once).
webhook_deliveries = Table(
    "webhook_deliveries", metadata,
    Column("id", Id(), primary_key=True),
    Column("webhook_id", Id(), ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("event_id", Id(), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("body", Text, nullable=False),  # the exact bytes sent (and signed)
    Column("state", String(16), nullable=False),  # pending | delivered | dead
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_instant", BigInteger, nullable=False),
    Column("insert_instant", BigInteger, nullable=False),
    Column("done_instant", BigInteger, nullable=True),
    Column("last_error", String(512), nullable=True),
    Index("ix_webhook_deliveries_due", "state", "next_attempt_instant"),
)

webhook_attempts = Table(
    "webhook_attempts", metadata,
    Column("id", Id(), primary_key=True),
    Column("delivery_id", Id(), ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("instant", BigInteger, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", String(512), nullable=True),
    Column("duration_ms", Integer, nullable=False),
)

# The admin console's server-side sessions (authgate/admin/): the browser holds only an opaque
# cookie whose digest is stored; `csrf_token` is the synchronizer token of the session's forms.
admin_sessions = Table(
    "admin_sessions", metadata,
    Column("id", Id(), primary_key=True),
    Column("token_digest", String(64), nullable=False, unique=True),
    Column("user_id", Id(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("sso_session_id", Id(), nullable=True),  # the IdP login it came from: ending that ends this
    Column("csrf_token", String(64), nullable=False),
    Column("insert_instant", BigInteger, nullable=False),
    Column("last_seen_instant", BigInteger, nullable=False),
    Column("expires_instant", BigInteger, nullable=False, index=True),
)

# Email waiting to be sent (authgate/mail/): written in the request, sent by the background
# sender. A row is claimed with a lease (`lease_until_instant`); a sender that dies mid-send
# leaves the lease to expire and another pass sends it again (at-least-once). Bodies are
# cleared once sent: they may carry a reset link.
mail_outbox = Table(
    "mail_outbox", metadata,
    Column("id", Id(), primary_key=True),
    Column("recipient", String(320), nullable=False),
    Column("subject", String(998), nullable=False),  # RFC 5322 s2.1.1 line limit
    Column("body_text", Text, nullable=False),
    Column("body_html", Text, nullable=True),
    Column("template", String(64), nullable=False),  # which message it is (for the log)
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_instant", BigInteger, nullable=False),
    Column("lease_owner", Id(), nullable=True),
    Column("lease_until_instant", BigInteger, nullable=True),
    Column("sent_instant", BigInteger, nullable=True),
    Column("failed_instant", BigInteger, nullable=True),  # gave up after the last retry
    Column("last_error", String(500), nullable=True),
    Column("insert_instant", BigInteger, nullable=False),
    Index("ix_mail_outbox_due", "sent_instant", "failed_instant", "next_attempt_instant"),
)

# Single-use ids sent by email: FusionAuth's changePasswordId (forgot password) and
# verificationId (verify email). Only the SHA-256 digest is stored.
action_ids = Table(
    "action_ids", metadata,
    Column("id_digest", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),  # "password" | "verify"
    Column("user_id", Id(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("application_id", Id(), nullable=True),  # the client_id the link returns to
    Column("email", String(320), nullable=True),  # the address a verification is for
    Column("insert_instant", BigInteger, nullable=False),
    Column("expires_instant", BigInteger, nullable=False, index=True),
    Column("used_instant", BigInteger, nullable=True),
)
