"""The OAuth grant types authgate implements, written once: what an application may list in
`oauthConfiguration.enabledGrants`, what discovery may advertise (in this order), and what an
application gets when it lists none (RFC 6749 section 1.3; implicit and password stay off)."""
from __future__ import annotations

GRANT_TYPES = ("authorization_code", "implicit", "refresh_token", "client_credentials", "password")
DEFAULT_GRANTS = ("authorization_code", "refresh_token")
