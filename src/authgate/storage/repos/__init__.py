from authgate.storage.repos.action_ids import ActionIds
from authgate.storage.repos.admin_sessions import AdminSessions
from authgate.storage.repos.api_keys import ApiKeys
from authgate.storage.repos.applications import Applications
from authgate.storage.repos.base import Conflict, new_id
from authgate.storage.repos.codes import Codes
from authgate.storage.repos.console_stats import ConsoleStats
from authgate.storage.repos.events import AuditLog, LoginRecords
from authgate.storage.repos.login_attempts import LoginAttempts
from authgate.storage.repos.login_failures import LoginFailures
from authgate.storage.repos.mfa import MfaChallenges, MfaMethods, RecoveryCodes, WebAuthnCredentials
from authgate.storage.repos.nonces import Nonces, RevokedGrants
from authgate.storage.repos.outbox import Outbox
from authgate.storage.repos.refresh_tokens import RefreshTokens
from authgate.storage.repos.registrations import Registrations
from authgate.storage.repos.signing_keys import SigningKeys
from authgate.storage.repos.sso_sessions import SsoSessions
from authgate.storage.repos.users import Users
from authgate.storage.repos.webhooks import Deliveries, Webhooks

__all__ = ["ActionIds", "AdminSessions", "ApiKeys", "Applications", "AuditLog", "Codes", "ConsoleStats", "Conflict", "LoginAttempts", "LoginFailures", "LoginRecords", "MfaChallenges",
           "MfaMethods", "RecoveryCodes", "Nonces", "Outbox", "RefreshTokens", "Registrations", "RevokedGrants", "SigningKeys",
           "SsoSessions", "Users", "Webhooks", "Deliveries", "WebAuthnCredentials", "new_id"]
