"""Settings come from AUTHGATE_* variables, then the TOML file named by AUTHGATE_CONFIG, then defaults."""
from __future__ import annotations

from authgate.config import Settings


def test_toml_file_and_environment_precedence(tmp_path, monkeypatch):
    toml = tmp_path / "authgate.toml"
    toml.write_text('port = 9100\nissuer = "https://login.example.com/"\nlockout_seconds = 30\n')
    monkeypatch.setenv("AUTHGATE_CONFIG", str(toml))
    monkeypatch.setenv("AUTHGATE_LOCKOUT_SECONDS", "45")
    s = Settings()
    assert s.port == 9100  # from the file
    assert s.lockout_seconds == 45  # the environment wins over the file
    assert s.resolved_issuer == "https://login.example.com"  # trailing slash dropped
    assert s.failed_login_threshold == 5  # default


def test_defaults_need_no_services(monkeypatch, tmp_path):
    monkeypatch.delenv("AUTHGATE_CONFIG", raising=False)
    monkeypatch.delenv("AUTHGATE_DATABASE_URL", raising=False)
    s = Settings(data_dir=tmp_path)
    assert s.port == 9011 and s.is_sqlite and s.resolved_database_url.endswith("/authgate.db")
    assert s.resolved_issuer == "http://127.0.0.1:9011"
