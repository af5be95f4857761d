"""Settings: `AUTHGATE_*` environment variables, then an optional TOML file, then defaults.

One `Settings` object is built at start-up and passed down; nothing reads the environment per
request.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field
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

    max_body_bytes: int = 1_048_576
    # "memory://" or "redis://127.0.0.1:6379"; empty disables rate limiting.
    rate_limit_storage: str = "memory://"
    rate_limit_login: str = "120/minute"
    log_level: str = "info"
    # FastAPI's own OpenTelemetry spans and metrics (FastAPI >= 0.16x), for operators who run a
    # collector. Off by default: asking "is a provider configured?" costs ~15 us a request, and
    # /metrics (Prometheus) is always on.
    opentelemetry: bool = False

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
