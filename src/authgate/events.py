"""One event model for what matters: who did what, to whom, from where (FusionAuth's event names).

Every change of users, registrations, applications, keys and API keys, every login and every
refresh-token revocation is told here, once, with `emit()`. The event is then fanned out:

- the audit log (the `audit_log` table; `/api/system/audit-log` reads it), for every event
  except a successful login, whose record is the login record (one cheap insert per login);
- the login records (`login_records`; `/api/system/login-record/search`), for `user.login.success`;
- the webhook outbox (authgate/webhooks/), for each webhook that enabled the event type.

The payload is redacted before anything is stored or sent (`redact`): no password, token,
secret or code ever leaves the request that carried it.

This module is core: plain Python, no web framework. Adapters build a `RequestContext` from the
request (IP, user agent, actor) and pass it down; when they pass none, the context the web edge
bound for the current request (`bind`) is used, else `SYSTEM` (the CLI, background jobs).
"""
from __future__ import annotations

import logging
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Literal

from authgate.clock import clock

if TYPE_CHECKING:
    from authgate.registry import Registry
    from authgate.storage.transaction import Tx

log = logging.getLogger("authgate.events")

# FusionAuth's event type names (webhook `eventsEnabled` keys); the `jwt.refresh-token.reuse-detected`
# and `api-key.*` / `key.*` names are ours, where FusionAuth has no event.
USER_CREATE, USER_UPDATE, USER_DELETE = "user.create", "user.update", "user.delete"
USER_DEACTIVATE, USER_REACTIVATE = "user.deactivate", "user.reactivate"
USER_LOGIN_SUCCESS, USER_LOGIN_FAILED = "user.login.success", "user.login.failed"
USER_PASSWORD_UPDATE, USER_PASSWORD_RESET_SUCCESS = "user.password.update", "user.password.reset.success"
USER_EMAIL_VERIFIED = "user.email.verified"
USER_REGISTRATION_CREATE, USER_REGISTRATION_UPDATE = "user.registration.create", "user.registration.update"
USER_REGISTRATION_DELETE = "user.registration.delete"
USER_TWO_FACTOR_METHOD_ADD, USER_TWO_FACTOR_METHOD_REMOVE = "user.two-factor.method.add", "user.two-factor.method.remove"
REFRESH_TOKEN_REVOKE, REFRESH_TOKEN_REUSE_DETECTED = "jwt.refresh-token.revoke", "jwt.refresh-token.reuse-detected"
APPLICATION_CREATE, APPLICATION_UPDATE, APPLICATION_DELETE = "application.create", "application.update", "application.delete"
KEY_CREATE, KEY_ROTATE, KEY_DELETE = "key.create", "key.rotate", "key.delete"
API_KEY_CREATE, API_KEY_DELETE = "api-key.create", "api-key.delete"
AUDIT_LOG_CREATE = "audit-log.create"  # an entry written through POST /api/system/audit-log
WEBHOOK_CREATE, WEBHOOK_UPDATE, WEBHOOK_DELETE = "webhook.create", "webhook.update", "webhook.delete"

EVENT_TYPES: frozenset[str] = frozenset({
    USER_CREATE, USER_UPDATE, USER_DELETE, USER_DEACTIVATE, USER_REACTIVATE, USER_LOGIN_SUCCESS, USER_LOGIN_FAILED,
    USER_PASSWORD_UPDATE, USER_PASSWORD_RESET_SUCCESS, USER_EMAIL_VERIFIED, USER_REGISTRATION_CREATE,
    USER_REGISTRATION_UPDATE, USER_REGISTRATION_DELETE, USER_TWO_FACTOR_METHOD_ADD, USER_TWO_FACTOR_METHOD_REMOVE,
    REFRESH_TOKEN_REVOKE, REFRESH_TOKEN_REUSE_DETECTED, APPLICATION_CREATE, APPLICATION_UPDATE, APPLICATION_DELETE,
    KEY_CREATE, KEY_ROTATE, KEY_DELETE, API_KEY_CREATE, API_KEY_DELETE, AUDIT_LOG_CREATE,
    WEBHOOK_CREATE, WEBHOOK_UPDATE, WEBHOOK_DELETE,
})

ActorKind = Literal["user", "api_key", "admin", "anonymous", "system"]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who caused the event: a user acting for themself, an API key, an admin (console) user, an
    unidentified web caller, or the system (CLI, background jobs)."""
    kind: ActorKind
    id: str | None = None
    name: str | None = None  # for people reading the log: an email, a key's description

    @property
    def label(self) -> str:
        """FusionAuth's `insertUser` of an audit log entry."""
        if self.kind in ("system", "anonymous"):
            return self.name or self.kind
        return f"{self.kind}:{self.name or self.id}"


SYSTEM_ACTOR = Actor("system")
ANONYMOUS = Actor("anonymous")


@dataclass(frozen=True, slots=True)
class RequestContext:
    """What an event needs from the request that caused it, without the request."""
    ip: str | None = None
    user_agent: str | None = None
    actor: Actor = SYSTEM_ACTOR
    request_id: str | None = None

    def acting(self, actor: Actor) -> "RequestContext":
        return RequestContext(self.ip, self.user_agent, actor, self.request_id)


SYSTEM = RequestContext()

_current: ContextVar[Callable[[], RequestContext] | None] = ContextVar("authgate_request_context", default=None)


def bind(factory: Callable[[], RequestContext] | None) -> Any:
    """Bind the current request's context (built lazily: most requests emit nothing). Returns a
    token for `unbind`. Called by the web edge once per request."""
    return _current.set(factory)


def unbind(token: Any) -> None:
    _current.reset(token)


def current() -> RequestContext:
    factory = _current.get()
    return factory() if factory is not None else SYSTEM


@dataclass(frozen=True, slots=True)
class Event:
    type: str
    id: str
    instant: int  # epoch ms
    context: RequestContext
    user_id: str | None = None
    application_id: str | None = None
    message: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)  # already redacted


# --- redaction -------------------------------------------------------------------------------

REDACTED = "[redacted]"
# Key names whose values are credentials or one-time secrets, in any nesting and case:
# password, passwordHash, currentPassword, token, refreshToken, id_token, clientSecret, secret,
# code, recoveryCodes, privateKey, an API key's `key`, cookies, signatures, ...
_SECRET_KEY = re.compile(
    r"password|passwd|secret|token|code(s)?$|^key$|privatekey|private_pem|hash|salt|^otp|credential|"
    r"authorization|cookie|signature|assertion",
    re.IGNORECASE,
)
# Ids that are themselves one-time credentials (whoever holds one may act with it).
_SECRET_IDS = frozenset({"changepasswordid", "verificationid", "twofactorid", "passwordlessloginid", "onetimepassword"})
# Key names that merely mention a secret: `refreshTokenId`, `tokenExpirationInstant`,
# `refreshTokenTimeToLiveInMinutes`, `clientSecretRotationPolicy`, `generateRefreshTokens`...
_DESCRIPTIVE = re.compile(r"(id|ids|instant|inseconds|inminutes|policy|enabled|type|length|count)$", re.IGNORECASE)
# Values that look like secrets whatever their key: JWTs and bearer/basic credentials.
_SECRET_VALUE = re.compile(r"^(eyJ[\w-]+\.[\w-]+\.[\w-]*|(bearer|basic)\s+\S+)$", re.IGNORECASE)
_MAX_DEPTH = 8


def is_secret_key(key: str) -> bool:
    lowered = key.lower()
    if lowered in _SECRET_IDS:
        return True
    return bool(_SECRET_KEY.search(key)) and not _DESCRIPTIVE.search(key)


def _hides(key: Any, value: Any) -> bool:
    # true/false and null say nothing secret ("generateRefreshTokens": true stays readable).
    return isinstance(key, str) and value is not None and not isinstance(value, bool) and is_secret_key(key)


def redact(value: Any, _depth: int = 0) -> Any:
    """A copy of `value` with every credential replaced by "[redacted]": by key name (password,
    secret, token, code, ...) at any depth, and JWT-looking strings wherever they are."""
    if _depth > _MAX_DEPTH:
        return REDACTED
    if isinstance(value, dict):
        return {k: REDACTED if _hides(k, v) else redact(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v, _depth + 1) for v in value]
    if isinstance(value, str) and _SECRET_VALUE.match(value):
        return REDACTED
    return value


# --- emitting --------------------------------------------------------------------------------

Sink = Callable[["Registry", Event, "Tx | None"], Any]
_sinks: list[Sink] = []


def add_sink(sink: Sink) -> None:
    """Register a further fan-out target (the webhook outbox registers itself here)."""
    if sink not in _sinks:
        _sinks.append(sink)


@asynccontextmanager
async def recorded(reg: "Registry") -> AsyncIterator["Tx"]:
    """A transaction for a change and the events that record it (`emit(..., tx=tx)` inside the
    block): both are stored, or neither. The webhook list is read first, because on SQLite
    nothing but the transaction's own statements may run inside it (storage/transaction.py)."""
    await reg.webhooks.all()
    async with reg.db.transaction() as tx:
        yield tx


async def emit(reg: "Registry", type_: str, ctx: RequestContext | None = None, *, user_id: str | None = None,
               application_id: str | None = None, message: str | None = None,
               payload: dict[str, Any] | None = None, login_id: str | None = None,
               insert_user: str | None = None, tx: "Tx | None" = None) -> Event:
    """Record one event and fan it out.

    With `tx` (a `Database.transaction()` holding the change itself), the event's rows are written
    in that transaction: the change and its record stand or fall together, and a failure to record
    fails the change. Without it (paths that write through single-statement repositories), the
    event is written right after the change, and a failure to record is logged, never undoes it.
    """
    if type_ not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type_!r}")
    event = Event(type_, str(uuid.uuid4()), clock.now_ms(), ctx or current(), user_id, application_id,
                  message, redact(payload or {}))
    if tx is not None:
        await _record(reg, event, login_id, insert_user, tx)
        return event
    try:
        await _record(reg, event, login_id, insert_user, None)
    except Exception:  # the change is done; losing its record must not turn its answer into a 500
        log.exception("could not record event %s %s", type_, event.id)
    return event


async def _record(reg: "Registry", event: Event, login_id: str | None, insert_user: str | None,
                  tx: "Tx | None") -> None:
    if event.type == USER_LOGIN_SUCCESS:
        await reg.db.login_records.add(event, login_id, tx)
    else:
        await reg.db.audit_log.add(event, insert_user or event.context.actor.label, event.message or describe(event), tx)
    for sink in _sinks:
        await sink(reg, event, tx)


def describe(event: Event) -> str:
    """A one-line message for the audit log when the caller gave none."""
    subject = f" user {event.user_id}" if event.user_id else ""
    app = f" application {event.application_id}" if event.application_id else ""
    return f"{event.type}{subject}{app}".strip()


async def login_succeeded(reg: "Registry", user: dict[str, Any], application_id: str | None, login_id: str | None = None,
                          ctx: RequestContext | None = None) -> Event:
    """The one call every login path makes once it is complete, second factor included (/api/login,
    /api/two-factor/login, passkeys, the hosted pages, the password grant)."""
    login_id = login_id or user["doc"].get("email") or user["doc"].get("username")
    ctx = ctx or current()
    if ctx.actor.kind in ("anonymous", "system"):
        ctx = ctx.acting(Actor("user", user["id"], login_id))
    summary = {k: user["doc"].get(k) for k in ("email", "username") if user["doc"].get(k)}
    return await emit(reg, USER_LOGIN_SUCCESS, ctx, user_id=user["id"], application_id=application_id,
                      login_id=login_id, payload={"user": {"id": user["id"], **summary}})


async def second_factor_failed(reg: "Registry", user_id: str, application_id: str | None, reason: str,
                               ctx: RequestContext | None = None) -> Event:
    """A login stopped at its second factor (a wrong or reused code, a locked account)."""
    log.info("second factor refused for user %s: %s", user_id, reason)
    return await emit(reg, USER_LOGIN_FAILED, ctx, user_id=user_id, application_id=application_id,
                      message=f"Login failed at the second factor for user [{user_id}]: {reason}",
                      payload={"reason": reason, "factor": "second"})


async def login_failed(reg: "Registry", login_id: str, reason: str, application_id: str | None,
                       ctx: RequestContext | None = None) -> Event:
    """Every refused login, whether the login id exists or not (the same write either way, so the
    record costs an unknown id what it costs a wrong password). `reason` is for operators only."""
    log.info("login failed for %r: %s", login_id[:320], reason)
    return await emit(reg, USER_LOGIN_FAILED, ctx, application_id=application_id,
                      message=f"Login failed for [{login_id[:320]}]: {reason}",
                      payload={"loginId": login_id[:320], "reason": reason})
