"""The `authgate` command: serve, migrate, demo, and small admin commands."""
from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any, Awaitable, Callable, Optional, TypeVar

import typer

from authgate import __version__
from authgate.config import Settings, UnknownSetting

app = typer.Typer(help="authgate: an identity provider speaking FusionAuth's API and OAuth 2 / OIDC.", no_args_is_help=True)
user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
app_app = typer.Typer(help="Manage applications (OAuth clients).", no_args_is_help=True)
key_app = typer.Typer(help="Manage signing keys.", no_args_is_help=True)
api_key_app = typer.Typer(help="Manage API keys (the admin APIs' credentials).", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(app_app, name="app")
app.add_typer(key_app, name="key")
app.add_typer(api_key_app, name="api-key")

T = TypeVar("T")
DataDir = typer.Option(None, "--data-dir", help="Directory of the SQLite database (default ./authgate-data).")


def _settings(data_dir: Optional[Path] = None, **more: Any) -> Settings:
    from pydantic import ValidationError

    try:
        return Settings().with_overrides(data_dir=data_dir, **more)
    except UnknownSetting as exc:  # a typo in the file or the environment: say which, and stop
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except ValidationError as exc:
        typer.echo(f"error: invalid settings: {exc}", err=True)
        raise typer.Exit(2) from None


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"authgate {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version.")) -> None:
    from authgate import logs

    fmt = os.environ.get("AUTHGATE_LOG_FORMAT", "text").strip().lower()
    logs.configure("json" if fmt == "json" else "text", "info")  # serve applies AUTHGATE_LOG_LEVEL
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # one line per plugin: noise


def _with_registry(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    from authgate.registry import Registry
    from authgate.web.app import start

    from authgate import events

    async def run() -> T:
        reg = Registry(settings)
        # What the commands change is audited like the API's changes, with the CLI as the actor.
        token = events.bind(lambda: events.RequestContext(actor=events.Actor("system", None, "cli")))
        try:
            await start(reg)
            return await work(reg)
        finally:
            events.unbind(token)
            await reg.close()

    return asyncio.run(run())


def _run_api(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    """`_with_registry` for commands that call the API's own functions: their 4xx becomes a message."""
    from authgate.errors import ApiError

    async def guarded(reg: Any) -> Any:
        try:
            return await work(reg)
        except ApiError as exc:
            return _Refused(exc)

    result = _with_registry(settings, guarded)
    if isinstance(result, _Refused):
        _fail(result.message)
    return result  # type: ignore[no-any-return]


class _Refused:
    def __init__(self, exc: Any) -> None:
        body = exc.body() or {}
        messages = [e["message"] for errs in (body.get("fieldErrors") or {}).values() for e in errs]
        messages += [e["message"] for e in body.get("generalErrors") or []]
        self.message = "; ".join(messages) or str(exc)


async def _user_id(reg: Any, user: str) -> str:
    """A user named by id, email or username."""
    from authgate.errors import not_found

    row = await reg.db.users.get(user) if len(user) == 36 else None
    row = row or await reg.db.users.find_by_login_id(user)
    if row is None:
        raise not_found("user")
    return str(row["id"])


@app.command()
def serve(host: Optional[str] = typer.Option(None, help="Interface to bind (default 127.0.0.1)."),
          port: Optional[int] = typer.Option(None, help="Port (default 9011)."),
          data_dir: Optional[Path] = DataDir) -> None:
    """Run the identity provider (applies pending migrations first). Run several, on one PostgreSQL, for more nodes."""
    import uvicorn

    from authgate.web.app import create_app

    settings = _settings(data_dir, host=host, port=port)
    application = create_app(settings)
    # What is loaded by now lives as long as the process: keep it out of the garbage collector's
    # full passes, which otherwise re-walk every module and route on each request burst.
    gc.collect()
    gc.freeze()
    # The password hasher's thread needs the GIL for a moment after each hash (to hand back the
    # result and take the next one); by default it may wait 5 ms for a busy event loop to let go.
    sys.setswitchinterval(0.0005)
    from authgate import logs

    logs.configure(settings.log_format, settings.log_level)
    # uvicorn's own loggers go through ours (log_config=None keeps its dictConfig away); its
    # access log is off because web/context.py writes one line per request with the request id.
    uvicorn.run(application, host=settings.host, port=settings.port, log_level=settings.log_level, log_config=None,
                access_log=False, proxy_headers=False)  # X-Forwarded-*: web/proxy.py, from trusted_proxies only


@app.command()
def migrate(data_dir: Optional[Path] = DataDir) -> None:
    """Apply database migrations and exit."""
    from authgate.registry import Registry
    from authgate.storage import migrate as m

    async def run() -> None:
        reg = Registry(_settings(data_dir))
        try:
            await m.upgrade(reg.db.engine)
        finally:
            await reg.close()

    asyncio.run(run())
    typer.echo("database is up to date")


@app.command()
def purge(data_dir: Optional[Path] = DataDir) -> None:
    """Delete expired codes, nonces, SSO sessions, refresh tokens and revocation records (for cron)."""
    from authgate.retention import purge as sweep

    async def work(reg: Any) -> dict[str, int] | None:
        return await sweep(reg.db, reg.settings)

    deleted = _with_registry(_settings(data_dir), work)
    if deleted is None:
        typer.echo("another node is purging right now; nothing done")
        return
    for name, count in deleted.items():
        typer.echo(f"{name}: {count} deleted")


@user_app.command("create")
def user_create(email: str, password: str = typer.Option(..., prompt=True, hide_input=True),
                register: list[str] = typer.Option([], help="Application id to register the user to (repeatable)."),
                admin: bool = typer.Option(False, "--admin", help="Make the user an administrator: registered to the "
                                           "admin console (/admin) with its admin role."),
                data_dir: Optional[Path] = DataDir) -> None:
    """Create a user (and optionally register it to applications, or make it an administrator)."""
    from authgate import events, password_policy
    from authgate.console import make_admin
    from authgate.errors import ApiError
    from authgate.field_errors import Errors
    from authgate.users import create_user

    async def work(reg: Any) -> dict[str, Any] | str:
        # Check everything before writing anything: a failed command leaves no half-made user.
        violation = password_policy.check(password, reg.settings)
        if violation is not None:
            return violation.message
        for app_id in register:
            if await reg.db.applications.get(app_id) is None:
                return f"no application with id {app_id!r} (see `authgate app list`)"
        try:  # the API's own create: the same validation, and a user.create event
            user = await create_user(reg, {"email": email, "password": password}, None, Errors())
        except ApiError as exc:
            if "user.email" in exc.field_errors and "duplicate" in exc.field_errors["user.email"][0]["code"]:
                return f"a user with the email {email!r} already exists"
            return _Refused(exc).message
        for app_id in register:
            await reg.db.registrations.create(user["id"], app_id, {"roles": []})
            await events.emit(reg, events.USER_REGISTRATION_CREATE, user_id=user["id"], application_id=app_id)
        if admin:
            await make_admin(reg, user["id"])
        return user

    user = _with_registry(_settings(data_dir), work)
    if isinstance(user, str):
        _fail(user)
    typer.echo(json.dumps({"id": user["id"], "email": user["email"]}))


@user_app.command("list")
def user_list(as_json: bool = typer.Option(False, "--json", help="One JSON document: FusionAuth's user objects."),
              data_dir: Optional[Path] = DataDir) -> None:
    """List users (every one, a page at a time)."""
    from authgate.present import user_json

    async def work(reg: Any) -> list[dict[str, Any]]:
        users: list[dict[str, Any]] = []
        while True:
            total, page = await reg.db.users.search(None, None, len(users), 500)
            users += page
            if not page or len(users) >= total:
                return users

    users = _with_registry(_settings(data_dir), work)
    if as_json:
        typer.echo(json.dumps({"total": len(users), "users": [user_json(u) for u in users]}, indent=2))
        return
    for u in users:
        state = "" if u["active"] else "  (deactivated)"
        typer.echo(f"{u['id']}  {u['email'] or ''}  {u['username'] or ''}{state}")


@user_app.command("delete")
def user_delete(user: str = typer.Argument(..., help="User id, email or username."),
                hard: bool = typer.Option(False, "--hard", help="Remove the user and everything of theirs; "
                                          "without it the user is deactivated (FusionAuth's soft delete)."),
                data_dir: Optional[Path] = DataDir) -> None:
    """Deactivate a user (their sessions and refresh tokens end), or remove them with --hard."""
    from authgate.users import delete_user

    async def work(reg: Any) -> str:
        uid = await _user_id(reg, user)
        await delete_user(reg, uid, hard=hard)
        return uid

    uid = _run_api(_settings(data_dir), work)
    typer.echo(f"user {uid} {'deleted' if hard else 'deactivated'}")


@user_app.command("unlock")
def user_unlock(user: str = typer.Argument(..., help="User id, email or username."),
                data_dir: Optional[Path] = DataDir) -> None:
    """Lift a lock: an administrator's, or the lockout after too many failed logins."""
    from authgate import account_lock

    async def work(reg: Any) -> str:
        uid = await _user_id(reg, user)
        await account_lock.unlock(reg, uid)
        return uid

    typer.echo(f"user {_run_api(_settings(data_dir), work)} unlocked")


@app_app.command("create")
def app_create(name: str, redirect_url: list[str] = typer.Option([], help="Authorized redirect URL (repeatable)."),
               origin: list[str] = typer.Option([], help="Authorized CORS origin (repeatable)."),
               data_dir: Optional[Path] = DataDir) -> None:
    """Create an application with the authorization code grant and refresh tokens."""
    import secrets

    doc = {"name": name, "oauthConfiguration": {
        "authorizedRedirectURLs": redirect_url, "authorizedOriginURLs": origin, "clientSecret": secrets.token_urlsafe(32),
        "enabledGrants": ["authorization_code", "refresh_token"], "proofKeyForCodeExchangePolicy": "Required",
        "requireClientAuthentication": True},
        "loginConfiguration": {"generateRefreshTokens": True}}

    async def work(reg: Any) -> dict[str, Any]:
        from authgate.applications import create_application

        return await create_application(reg, doc, None, None)  # validated and audited like the API's

    row = _run_api(_settings(data_dir), work)
    typer.echo(json.dumps({"id": row["id"], "name": name, "clientSecret": doc["oauthConfiguration"]["clientSecret"]}))


@app_app.command("list")
def app_list(data_dir: Optional[Path] = DataDir) -> None:
    """List applications."""
    async def work(reg: Any) -> list[dict[str, Any]]:
        return list(await reg.db.applications.list())

    for a in _with_registry(_settings(data_dir), work):
        typer.echo(f"{a['id']}  {a['name']}")


@key_app.command("rotate")
def key_rotate(algorithm: str = typer.Option("RS256", help="RS256 or ES256."), data_dir: Optional[Path] = DataDir) -> None:
    """Create a new signing key; old keys stay in the JWKS until their tokens expire."""
    from authgate import events

    async def work(reg: Any) -> str:
        key = await reg.keys.rotate(algorithm)
        await events.emit(reg, events.KEY_ROTATE, payload={"key": {"id": key.kid, "algorithm": algorithm}})
        return str(key.kid)

    typer.echo(f"new signing key {_with_registry(_settings(data_dir), work)}")


@app_app.command("delete")
def app_delete(app_id: str = typer.Argument(..., help="Application id (the client_id)."),
               hard: bool = typer.Option(False, "--hard", help="Remove it with its registrations and tokens; "
                                         "without it the application is deactivated (FusionAuth's soft delete)."),
               data_dir: Optional[Path] = DataDir) -> None:
    """Deactivate an application (its refresh tokens are revoked), or remove it with --hard."""
    from authgate.applications import delete_application

    async def work(reg: Any) -> None:
        await delete_application(reg, app_id, hard=hard, origins=None)

    _run_api(_settings(data_dir), work)
    typer.echo(f"application {app_id} {'deleted' if hard else 'deactivated'}")


@api_key_app.command("create")
def api_key_create(description: str = typer.Option("", help="What the key is for (shown in lists and the audit log)."),
                   endpoint: list[str] = typer.Option([], help="Limit the key to an endpoint and methods, e.g. "
                                                      "'/api/user:GET,POST' (repeatable); none: a superuser key."),
                   data_dir: Optional[Path] = DataDir) -> None:
    """Create an API key and print it once (only its digest is stored)."""
    from authgate.api_keys import create_api_key
    from authgate.present import api_key_json

    endpoints: dict[str, list[str]] = {}
    for item in endpoint:
        path, _, methods = item.partition(":")
        endpoints[path.strip()] = [m.strip().upper() for m in methods.split(",") if m.strip()]
    body = {"permissions": {"endpoints": endpoints}, "metaData": {"attributes": {"description": description}}}

    async def work(reg: Any) -> dict[str, Any]:
        row, value = await create_api_key(reg, body, None)
        return api_key_json(row, value)

    typer.echo(json.dumps(_run_api(_settings(data_dir), work)))


@api_key_app.command("list")
def api_key_list(as_json: bool = typer.Option(False, "--json", help="FusionAuth's API key objects, without values."),
                 data_dir: Optional[Path] = DataDir) -> None:
    """List API keys (their values are never shown again)."""
    from authgate.present import api_key_json

    async def work(reg: Any) -> list[dict[str, Any]]:
        return [api_key_json(r) for r in await reg.db.api_keys.list()]

    keys = _with_registry(_settings(data_dir), work)
    if as_json:
        typer.echo(json.dumps({"apiKeys": keys}, indent=2))
        return
    for k in keys:
        endpoints = k["permissions"].get("endpoints") or {}
        scope = ", ".join(f"{p} {'/'.join(m)}" for p, m in endpoints.items()) or "superuser"
        about = (k["metaData"].get("attributes") or {}).get("description") or ""
        typer.echo(f"{k['id']}  {scope}  {about}".rstrip())


@api_key_app.command("delete")
def api_key_delete(key_id: str = typer.Argument(..., help="The key's id (see `authgate api-key list`)."),
                   data_dir: Optional[Path] = DataDir) -> None:
    """Delete an API key: requests with it are refused at once."""
    from authgate.api_keys import delete_api_key

    async def work(reg: Any) -> None:
        await delete_api_key(reg, key_id)

    _run_api(_settings(data_dir), work)
    typer.echo(f"API key {key_id} deleted")


@app.command()
def demo(mode: str = typer.Option("implicit-localstorage", help="Workflow mode of the example apps."),
         data_dir: Optional[Path] = DataDir,
         jwt_ttl: int = typer.Option(60, help="Access token lifetime in seconds (short, so expiry can be seen)."),
         xss_demo: bool = typer.Option(False, "--xss-demo", help="Serve the deliberately injectable ?xss= hook "
                                       "(and a relaxed CSP) so you can try the attacks by hand. Never in production.")) -> None:
    """Start the IdP, the Store and the Forums on *.authgate.localhost and print their URLs."""
    from authgate_demo.stack import run_demo

    run_demo(mode=mode, data_dir=data_dir, jwt_ttl=jwt_ttl, vulnerable=xss_demo)


@app.command()
def attacks(mode: list[str] = typer.Option([], "--mode", help="Workflow mode to attack (repeatable; default: all five)."),
            format: str = typer.Option("md", "--format", help="md, html or json (comma-separated for several)."),
            out: Path = typer.Option(Path("report"), "--out", help="Directory for attacks.md / .html / .json."),
            scenario: list[str] = typer.Option([], "--scenario", help="Only scenarios whose id starts with this (repeatable)."),
            jwt_ttl: int = typer.Option(8, "--jwt-ttl", help="Access token lifetime in seconds for the attacked stacks."),
            setup: list[str] = typer.Option([], "--setup", help="Login setup for the factor x attack matrix (repeatable; "
                                            "default: password, password+totp, passkey; 'none' skips it).")) -> None:
    """Run every attack scenario in every workflow mode, the attacks on the login against each
    login setup, and the attacks on the emailed reset link (real Chromium, real servers), and write
    the three matrices."""
    from authgate_demo.attacks.harness import MODES, SETUPS, run_matrix
    from authgate_demo.attacks.report import MARK, write

    modes = mode or list(MODES)
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        raise typer.BadParameter(f"unknown mode(s) {unknown}; choose from {', '.join(MODES)}")
    setups = [] if setup == ["none"] else (setup or list(SETUPS))
    if [s for s in setups if s not in SETUPS]:
        raise typer.BadParameter(f"unknown setup(s) {setups}; choose from {', '.join(SETUPS)} or none")
    logging.getLogger().setLevel(logging.ERROR)  # scenarios provoke refusals and warnings on purpose

    def progress(cell: Any) -> None:
        typer.echo(f"{cell.scenario:34} {cell.mode:22} {MARK[cell.status]:12} {cell.seconds:5.1f}s")

    matrix = asyncio.run(run_matrix(modes, scenario or None, jwt_ttl=jwt_ttl, progress=progress, setups=setups))
    for path in write(matrix, out, [f.strip() for f in format.split(",") if f.strip()]):
        typer.echo(f"wrote {path}")
    extra = sum(len(m.cells) for m in (matrix.factors, matrix.lifecycle) if m is not None)
    typer.echo(f"{len(matrix.cells) + extra} cells in {matrix.seconds:.0f}s")
