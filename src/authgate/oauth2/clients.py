"""An application seen as an OAuth client: its FusionAuth `oauthConfiguration`, read once, with defaults.

FusionAuth fields used: `authorizedRedirectURLs`, `clientSecret`, `enabledGrants` (default
authorization_code + refresh_token; `implicit` and `password` are off unless listed),
`requireClientAuthentication` (default true; false = public client), `proofKeyForCodeExchangePolicy`
(NotRequired | Required | NotRequiredWhenUsingClientAuthentication), `logoutURL`.
Ours: `requireState` (default false) refuses authorize requests without `state`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authgate.registry import Registry
from authgate.tokens.grant_types import DEFAULT_GRANTS

MAX_CLIENT_ID_CHARS = 64


@dataclass(frozen=True)
class Client:
    app: dict[str, Any]
    client_id: str
    redirect_uris: tuple[str, ...]
    grants: frozenset[str]
    secret: str | None
    public: bool
    pkce_policy: str
    logout_url: str | None
    require_state: bool

    @property
    def pkce_required(self) -> bool:
        """RFC 9700 section 2.1.1: always for public clients; for others when the policy says so."""
        return self.public or self.pkce_policy == "Required"


def as_client(app: dict[str, Any]) -> Client:
    oc = app["doc"].get("oauthConfiguration") or {}
    uris = tuple(u for u in oc.get("authorizedRedirectURLs") or [] if isinstance(u, str))
    grants = oc.get("enabledGrants")
    secret = oc.get("clientSecret")
    return Client(
        app=app, client_id=app["id"], redirect_uris=uris,
        grants=frozenset(grants if isinstance(grants, list) else DEFAULT_GRANTS),
        secret=secret if isinstance(secret, str) and secret else None,
        public=oc.get("requireClientAuthentication", True) is False,
        pkce_policy=str(oc.get("proofKeyForCodeExchangePolicy") or "NotRequired"),
        logout_url=oc.get("logoutURL") if isinstance(oc.get("logoutURL"), str) else None,
        require_state=bool(oc.get("requireState", False)),
    )


async def find_client(reg: Registry, client_id: str | None) -> Client | None:
    """The active application whose id is `client_id` (FusionAuth: client id = application id)."""
    if not client_id or len(client_id) > MAX_CLIENT_ID_CHARS:
        return None
    app = await reg.apps.get(client_id)
    if app is None or not app["active"]:
        return None
    return reg.apps.derived(app, "client", as_client)  # built once per cached row
