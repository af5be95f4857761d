"""The Application bodies `authgate demo` registers for each app and mode."""
from __future__ import annotations

import pytest

from authgate_demo.apps.common.provision import application_spec

ORIGIN = "http://store.authgate.localhost:8081"


@pytest.mark.parametrize("mode", ["implicit-localstorage", "implicit-cookie"])
def test_implicit_modes_enable_only_the_implicit_grant(mode):
    app = application_spec("Store", mode, ORIGIN + "/")["application"]
    oauth = app["oauthConfiguration"]
    assert oauth["enabledGrants"] == ["implicit"]
    assert oauth["authorizedRedirectURLs"] == [ORIGIN + "/oauth-redirect"]
    assert oauth["authorizedOriginURLs"] == [ORIGIN]
    assert oauth["requireClientAuthentication"] is False
    assert app["loginConfiguration"]["generateRefreshTokens"] is False


def test_native_mode_generates_login_api_refresh_tokens():
    app = application_spec("Forums", "native-refresh-cookie", "http://forums.authgate.localhost:8082")["application"]
    assert app["loginConfiguration"]["generateRefreshTokens"] is True
    assert "implicit" not in app["oauthConfiguration"]["enabledGrants"]
    assert app["name"] == "Forums (native-refresh-cookie)"


@pytest.mark.parametrize("mode", ["code-pkce-cookie", "bff"])
def test_backend_modes_are_confidential_pkce_clients(mode):
    app = application_spec("Store", mode, ORIGIN, client_secret="s3cret")["application"]
    oauth = app["oauthConfiguration"]
    assert oauth["enabledGrants"] == ["authorization_code", "refresh_token"]
    assert oauth["authorizedRedirectURLs"] == [ORIGIN + "/oauth-redirect", ORIGIN + "/api/oauth-callback"]
    assert oauth["requireClientAuthentication"] is True and oauth["clientAuthenticationPolicy"] == "Required"
    assert oauth["proofKeyForCodeExchangePolicy"] == "Required" and oauth["clientSecret"] == "s3cret"


@pytest.mark.parametrize("mode", ["implicit-localstorage", "implicit-cookie", "native-refresh-cookie",
                                  "code-pkce-cookie", "bff"])
def test_no_mode_enables_the_password_grant_and_jwts_are_short(mode):
    app = application_spec("Store", mode, ORIGIN)["application"]
    assert "password" not in app["oauthConfiguration"]["enabledGrants"]
    assert app["jwtConfiguration"]["enabled"] is True and app["jwtConfiguration"]["timeToLiveInSeconds"] == 300


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError):
        application_spec("Store", "hybrid", ORIGIN)
