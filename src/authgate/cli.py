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
app.add_typer(user_app, name="user")
app.add_typer(app_app, name="app")
app.add_typer(key_app, name="key")

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

    async def run() -> T:
        reg = Registry(settings)
        try:
            await start(reg)
            return await work(reg)
        finally:
            await reg.close()

    return asyncio.run(run())


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
    from authgate import password_policy
    from authgate.console import make_admin
    from authgate.storage.repos import Conflict

    async def work(reg: Any) -> dict[str, Any] | str:
        # Check everything before writing anything: a failed command leaves no half-made user.
        violation = password_policy.check(password, reg.settings)
        if violation is not None:
            return violation.message
        for app_id in register:
            if await reg.db.applications.get(app_id) is None:
                return f"no application with id {app_id!r} (see `authgate app list`)"
        try:
            user = await reg.db.users.create({"email": email}, await reg.hasher.hash(password))
        except Conflict:
            return f"a user with the email {email!r} already exists"
        for app_id in register:
            await reg.db.registrations.create(user["id"], app_id, {"roles": []})
        if admin:
            await make_admin(reg, user["id"])
        return user

    user = _with_registry(_settings(data_dir), work)
    if isinstance(user, str):
        _fail(user)
    typer.echo(json.dumps({"id": user["id"], "email": user["email"]}))


@user_app.command("list")
def user_list(data_dir: Optional[Path] = DataDir) -> None:
    """List users."""
    async def work(reg: Any) -> list[dict[str, Any]]:
        return (await reg.db.users.search(None, None, 0, 1000))[1]

    for u in _with_registry(_settings(data_dir), work):
        typer.echo(f"{u['id']}  {u['email'] or ''}  {u['username'] or ''}")


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
        return await reg.db.applications.create(doc)

    row = _with_registry(_settings(data_dir), work)
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
    async def work(reg: Any) -> str:
        return str((await reg.keys.rotate(algorithm)).kid)

    typer.echo(f"new signing key {_with_registry(_settings(data_dir), work)}")


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
    """Run every attack scenario in every workflow mode, and the attacks on the login against each
    login setup (real Chromium, real servers), and write both matrices."""
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
    factor_cells = len(matrix.factors.cells) if matrix.factors else 0
    typer.echo(f"{len(matrix.cells) + factor_cells} cells in {matrix.seconds:.0f}s")
