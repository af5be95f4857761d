"""What an example app needs to know at start-up. `authgate demo` builds one per app."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

# The five browser login workflows (see /work/shared/WORKFLOWS.md). The first three are the
# seeds' workflows; the last two are the recommended alternatives.
MODES = ("implicit-localstorage", "implicit-cookie", "native-refresh-cookie", "code-pkce-cookie", "bff")
IMPLICIT_MODES = ("implicit-localstorage", "implicit-cookie")
# Modes where the backend talks OAuth to the IdP itself and JavaScript never sees a token.
BACKEND_MODES = ("code-pkce-cookie", "bff")


@dataclass(frozen=True)
class ExampleConfig:
    name: str  # "Store" or "Forums": shown on the page and used as the application name
    mode: str
    public_origin: str  # what the browser uses, e.g. http://store.authgate.localhost:8081
    idp_public_url: str  # browser-facing IdP, e.g. http://idp.authgate.localhost:9011
    idp_internal_url: str  # server-to-server IdP, e.g. http://127.0.0.1:9011 (no *.localhost DNS)
    issuer: str  # the `iss` the IdP puts in its tokens
    client_id: str  # FusionAuth's applicationId == OAuth client_id
    db_path: Path
    client_secret: str = ""  # code-pkce-cookie and bff: the backend authenticates at /oauth2/token
    # Signs the short-lived login-transaction cookie (state, PKCE verifier) in backend modes.
    # Empty: a random key per process, which only means a login in flight across a restart fails.
    cookie_secret: str = ""
    vulnerable_demo: bool = False  # serve the deliberately injectable `?xss=` hook (attack demos)
    secure_cookies: bool = False  # Secure flag and `__Host-` prefix; set when served over https
    leeway_seconds: int = 30  # clock skew accepted on exp/nbf
    allowed_algorithms: tuple[str, ...] = ("RS256", "ES256")
    jwks_min_refetch_seconds: float = 5.0  # unknown kids cannot make us hammer the IdP

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if self.mode in BACKEND_MODES and not self.client_secret:
            raise ValueError(f"mode {self.mode} needs client_secret: the backend is a confidential client")
        for url in (self.public_origin, self.idp_public_url, self.idp_internal_url):
            if urlsplit(url).scheme not in ("http", "https"):
                raise ValueError(f"not an http(s) URL: {url!r}")

    @property
    def origin(self) -> str:
        return self.public_origin.rstrip("/")

    @property
    def idp_origin(self) -> str:
        parts = urlsplit(self.idp_public_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def redirect_uri(self) -> str:
        """The implicit modes' redirect_uri: the SPA reads the token from the fragment here."""
        return self.origin + "/oauth-redirect"

    @property
    def callback_uri(self) -> str:
        """The backend modes' redirect_uri: the code arrives in the query, so the backend gets it."""
        return self.origin + "/api/oauth-callback"
