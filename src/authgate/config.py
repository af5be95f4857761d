"""Settings: `AUTHGATE_*` environment variables, then an optional TOML file, then defaults.

One `Settings` object is built at start-up and passed down; nothing reads the environment per
request.
"""
from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUTHGATE_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 9011
    data_dir: Path = Path("./authgate-data")
    # Empty means an SQLite file in data_dir; postgresql+asyncpg://... selects PostgreSQL.
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
    failed_login_threshold: int = 5
    failed_login_window_seconds: int = 60
    lockout_seconds: int = 180

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

    max_body_bytes: int = 1_048_576
    # "memory://" or "redis://127.0.0.1:6379"; empty disables rate limiting.
    rate_limit_storage: str = "memory://"
    rate_limit_login: str = "120/minute"
    log_level: str = "info"
    # Who may scrape /metrics (route names, status counts, latencies): comma-separated CIDRs matched
    # against the TCP peer (not X-Forwarded-For). Loopback only by default; add your scraper's
    # network, or "0.0.0.0/0,::/0" to open it.
    metrics_allowed_networks: str = "127.0.0.0/8,::1/128"
    # The janitor (authgate/retention.py) deletes expired codes, nonces, sessions, refresh tokens
    # and revocation records this often in `serve`; 0 disables it (run `authgate purge` from cron).
    purge_interval_seconds: float = 60.0
    # FastAPI's own OpenTelemetry spans and metrics (FastAPI >= 0.16x), for operators who run a
    # collector. Off by default: asking "is a provider configured?" costs ~15 us a request, and
    # /metrics (Prometheus) is always on.
    opentelemetry: bool = False

    @field_validator("metrics_allowed_networks")
    @classmethod
    def _cidrs(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip():
                ipaddress.ip_network(part.strip(), strict=False)  # ValueError: a start-up error, not a 500 per scrape
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml_path = os.environ.get("AUTHGATE_CONFIG")
        if toml_path:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(toml_path)))
        return tuple(sources)

    @property
    def resolved_issuer(self) -> str:
        return (self.issuer or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'authgate.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    def with_overrides(self, **changes: Any) -> "Settings":
        return self.model_copy(update={k: v for k, v in changes.items() if v is not None})
