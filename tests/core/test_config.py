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


def test_an_unknown_key_in_the_file_is_a_start_up_error_naming_the_nearest_setting(tmp_path, monkeypatch):
    import pytest

    from authgate.config import UnknownSetting

    toml = tmp_path / "authgate.toml"
    toml.write_text('port = 9100\nlockout_second = 30\n')
    monkeypatch.setenv("AUTHGATE_CONFIG", str(toml))
    with pytest.raises(UnknownSetting, match=r"unknown setting 'lockout_second' in .*authgate.toml; did you mean lockout_seconds\?"):
        Settings()
    toml.write_text('colour = "blue"\n')
    with pytest.raises(UnknownSetting, match="unknown setting 'colour'.*Configuration table"):
        Settings()


def test_an_unknown_authgate_variable_is_a_start_up_error_naming_the_nearest_one(monkeypatch):
    import pytest

    from authgate.config import UnknownSetting

    monkeypatch.delenv("AUTHGATE_CONFIG", raising=False)
    monkeypatch.setenv("AUTHGATE_ACCESS_TOKEN_TTL", "60")
    with pytest.raises(UnknownSetting, match=r"AUTHGATE_ACCESS_TOKEN_TTL; did you mean AUTHGATE_ACCESS_TOKEN_TTL_SECONDS\?"):
        Settings()


def test_variables_that_are_not_settings_stay_allowed(monkeypatch, tmp_path):
    monkeypatch.delenv("AUTHGATE_CONFIG", raising=False)
    for name in ("AUTHGATE_TEST_PG_URL", "AUTHGATE_CHROMIUM", "AUTHGATE_FUZZ_EXAMPLES"):
        monkeypatch.setenv(name, "x")
    monkeypatch.setenv("authgate_lockout_seconds", "7")  # names are matched case-insensitively
    assert Settings(data_dir=tmp_path).lockout_seconds == 7


def test_the_cli_stops_with_the_error_before_doing_anything(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from authgate.cli import app

    monkeypatch.delenv("AUTHGATE_CONFIG", raising=False)
    monkeypatch.setenv("AUTHGATE_LOCKOUT_SECOND", "30")
    result = CliRunner().invoke(app, ["migrate", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "unknown environment variable AUTHGATE_LOCKOUT_SECOND; did you mean AUTHGATE_LOCKOUT_SECONDS?" in result.output
    assert not (tmp_path / "authgate.db").exists()


def test_trusted_proxies_are_addresses_or_networks(monkeypatch):
    import pytest
    from pydantic import ValidationError

    monkeypatch.delenv("AUTHGATE_CONFIG", raising=False)
    monkeypatch.setenv("AUTHGATE_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1,::1")
    assert Settings().trusted_proxies == ["10.0.0.0/8", "127.0.0.1", "::1"]
    monkeypatch.setenv("AUTHGATE_TRUSTED_PROXIES", "10.0.0.0/8,lb.internal")
    with pytest.raises(ValidationError, match="'lb.internal' is not an IP address or CIDR network"):
        Settings()
