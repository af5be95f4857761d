"""Settings: `AUTHGATE_*` environment variables, then an optional TOML file, then defaults.

One `Settings` object is built at start-up and passed down; nothing reads the environment per
request. A key that is not a setting, in the file or as an `AUTHGATE_*` variable, is refused at
start-up with the nearest valid name (`UnknownSetting`): a typo must not be silently ignored.
"""
from __future__ import annotations

import difflib
import ipaddress
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import (BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict,
                               TomlConfigSettingsSource)

PREFIX = "AUTHGATE_"
# `AUTHGATE_*` variables that are not settings: the file's name, and what tools and tests read.
NOT_SETTINGS = frozenset({"AUTHGATE_CONFIG", "AUTHGATE_CHROMIUM"})
NOT_SETTINGS_PREFIXES = ("AUTHGATE_TEST_", "AUTHGATE_FUZZ_")


class UnknownSetting(ValueError):
    """A key in the TOML file or an `AUTHGATE_*` variable that names no setting."""


def _nearest(name: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else "; see the Configuration table in README.md"


class _RejectUnknown(PydanticBaseSettingsSource):
    """Contributes no values; refuses unknown names in the environment and in the TOML file."""

    def __init__(self, settings_cls: type[BaseSettings], toml_path: str | None) -> None:
        super().__init__(settings_cls)
        self.toml_path = toml_path

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        fields = sorted(self.settings_cls.model_fields)
        env_names = [PREFIX + f.upper() for f in fields]
        for name in sorted(os.environ):
            upper = name.upper()  # AUTHGATE_* variables are matched case-insensitively
            if (upper.startswith(PREFIX) and upper not in env_names and upper not in NOT_SETTINGS
                    and not upper.startswith(NOT_SETTINGS_PREFIXES)):
                raise UnknownSetting(f"unknown environment variable {name}{_nearest(upper, env_names)}")
        if self.toml_path:
            try:
                with open(self.toml_path, "rb") as f:
                    keys = list(tomllib.load(f))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise UnknownSetting(f"cannot read the settings file {self.toml_path} (AUTHGATE_CONFIG): {exc}") from exc
            for key in keys:
                if key not in fields:
                    raise UnknownSetting(f"unknown setting {key!r} in {self.toml_path}{_nearest(key, fields)}")
        return {}


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="forbid")

    host: str = "127.0.0.1"
    port: int = 9011
    data_dir: Path = Path("./authgate-data")
    # Empty means an SQLite file in data_dir; postgresql://... (any driver name) selects PostgreSQL.
    database_url: str = ""
    # PostgreSQL schema (search_path) to keep authgate's tables in; empty = the server default.
    database_schema: str = ""
    # The public base URL tokens are issued under (`iss`); defaults to http://host:port.
    issuer: str = ""
    # Bootstrap superuser API key, created at start-up when no key with this value exists.
    api_key: str = ""

    access_token_ttl_seconds: int = 3600
    refresh_token_ttl_minutes: int = 43200
    authorization_code_ttl_seconds: int = 60
    sso_session_ttl_seconds: int = 8 * 3600
    # The admin console's own session: absolute lifetime, and how long it survives without a request.
    admin_session_ttl_seconds: int = 8 * 3600
    admin_session_idle_seconds: int = 30 * 60

    # FusionAuth's failedAuthenticationConfiguration (tenant level there; global here).
    failed_login_threshold: int = 5  # guesses per (account, source address) per window (authgate/lockout.py)
    failed_login_window_seconds: int = 60
    lockout_seconds: int = 180
    # Guesses per account per window from all sources together, before it locks for everyone.
    failed_login_account_threshold: int = 50

    # Passwords: OWASP argon2id minimum (19 MiB, t=2, p=1).
    argon2_memory_kib: int = 19456
    argon2_time_cost: int = 2
    argon2_parallelism: int = 1
    # Argon2 threads: the cores this process may run on (its affinity under taskset/cgroups), not
    # the machine's: two hash threads on one pinned core only take turns.
    password_threads: int = Field(default_factory=_usable_cores)

    # Multi-factor (authgate/mfa/): how long a login may wait for its second factor (twoFactorId)
    # and a WebAuthn ceremony for the browser; the key that seals TOTP secrets at rest.
    two_factor_ttl_seconds: int = 300
    webauthn_timeout_seconds: int = 300
    mfa_secret_key: str = ""
    # How recent the SSO session's sign-in must be to add the first second factor (Ory Kratos's
    # privileged_session_max_age; sessions/privileged.py); older, the security page asks for the
    # password again. 0: always ask.
    privileged_session_max_age_seconds: int = Field(default=600, ge=0)

    max_body_bytes: int = 1_048_576
    # "memory://" or "redis://127.0.0.1:6379"; empty disables rate limiting.
    rate_limit_storage: str = "memory://"
    rate_limit_login: str = "120/minute"
    log_level: str = "info"
    # Proxies (IP addresses or CIDR networks, comma-separated) whose X-Forwarded-Proto and
    # X-Forwarded-For are believed (web/proxy.py); empty: the headers are ignored from anyone.
    trusted_proxies: Annotated[list[str], NoDecode] = []
    # Who may scrape /metrics (route names, status counts, latencies): comma-separated CIDRs matched
    # against the client address: the TCP peer, or behind a trusted proxy the client it forwards
    # for. Loopback only by default; add your scraper's network, or "0.0.0.0/0,::/0" to open it.
    metrics_allowed_networks: str = "127.0.0.0/8,::1/128"
    # The janitor (authgate/retention.py) deletes expired codes, nonces, sessions, refresh tokens
    # and revocation records this often in `serve`; 0 disables it (run `authgate purge` from cron).
    purge_interval_seconds: float = 60.0
    # How long the janitor keeps audit log entries, login records and finished webhook deliveries
    # (delivered or dead), in days; 0 keeps them forever.
    audit_log_retention_days: int = Field(default=365, ge=0)
    login_record_retention_days: int = Field(default=90, ge=0)
    webhook_delivery_retention_days: int = Field(default=14, ge=0)
    # Webhook receivers on private, loopback or link-local addresses are refused (SSRF) unless
    # their address is in one of these comma-separated CIDRs. Empty by default.
    webhook_allowed_networks: str = ""
    # Deliveries in flight at once per node, and attempts before a delivery is dead-lettered.
    webhook_concurrency: int = Field(default=8, ge=1, le=256)
    webhook_max_attempts: int = Field(default=8, ge=1, le=50)
    # Seconds between outbox polls when idle (a new event wakes the worker on its own node at once).
    webhook_poll_seconds: float = Field(default=1.0, gt=0)
    # A claimed delivery is this node's for this long; if the node dies, another attempt follows
    # after it. Longer than any delivery (each webhook timeout is at most 20 s).
    webhook_lease_seconds: float = Field(default=60.0, gt=0)
    # Log lines: "text" for people, "json" (one JSON object per line) for machines.
    log_format: Literal["text", "json"] = "text"
    # One access line per request (authgate.access, at INFO): ~15-20 us of CPU a request; off here
    # or with log_level "warning" where every microsecond counts.
    access_log: bool = True
    # FastAPI's own OpenTelemetry spans and metrics (FastAPI >= 0.16x), for operators who run a
    # collector. Off by default: asking "is a provider configured?" costs ~15 us a request, and
    # /metrics (Prometheus) is always on.
    opentelemetry: bool = False

    @field_validator("metrics_allowed_networks", "webhook_allowed_networks")
    @classmethod
    def _cidrs(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip():
                ipaddress.ip_network(part.strip(), strict=False)  # ValueError: a start-up error, not a 500 per scrape
        return value

    # Email (authgate/mail/): sent from the outbox table by a background sender. No SMTP host:
    # messages are kept in the outbox (and a warning is logged) until one is configured.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    # STARTTLS is required unless turned off (a local relay); SMTP_TLS is implicit TLS (port 465).
    smtp_starttls: bool = True
    smtp_tls: bool = False
    smtp_from: str = "authgate <no-reply@localhost>"
    smtp_timeout_seconds: float = 10.0
    # A directory whose NAME.subject / NAME.txt / NAME.html files replace the built-in templates.
    mail_templates_dir: Path | None = None

    # Password rules (authgate/password_policy.py), applied wherever a password is set.
    password_min_length: int = 8
    password_max_length: int = 256  # bounds one argon2 call
    password_reject_common: bool = True  # the 10,000 most common passwords

    # Account lifecycle (per application in FusionAuth's shapes; these are the defaults).
    verify_email: bool = True  # emailConfiguration.verifyEmail
    unverified_behavior: str = "Allow"  # emailConfiguration.unverified.behavior: Allow | Gated
    change_password_id_ttl_seconds: int = 600  # forgot-password links
    verification_id_ttl_seconds: int = 86400  # verify-email links
    # Per client IP (besides the IP limit of every password endpoint) and per email address.
    rate_limit_email: str = "5/10minute"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = os.environ.get("AUTHGATE_CONFIG")
        sources: list[PydanticBaseSettingsSource] = [_RejectUnknown(settings_cls, toml_path), init_settings, env_settings]
        if toml_path:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(toml_path)))
        return tuple(sources)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        for entry in value if isinstance(value, list) else ():
            try:
                ipaddress.ip_network(entry, strict=False)
            except (TypeError, ValueError):
                raise ValueError(f"{entry!r} is not an IP address or CIDR network") from None
        return value

    @property
    def resolved_issuer(self) -> str:
        return (self.issuer or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'authgate.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        from sqlalchemy import make_url

        return make_url(self.resolved_database_url).get_backend_name() == "sqlite"

    def with_overrides(self, **changes: Any) -> "Settings":
        return self.model_copy(update={k: v for k, v in changes.items() if v is not None})
