"""The app factory both example apps use. Read it with WORKFLOWS.md open: every route below is
a row of its "Backend routes every example app has" table, plus what the recommended modes add.

    GET  /                    the SPA                     (all modes)
    GET  /oauth-redirect      the SPA again; implicit tokens arrive in the fragment
    GET  /api/user            who is logged in; 404 without a valid JWT/session
    POST /api/cookie-drop     JWT -> HttpOnly cookie      (implicit-*, native-refresh-cookie)
    GET  <data route>         the cart / the posts; 401 without a valid JWT
    POST <add route>          a state-changing call, CSRF-checked
    POST /api/logout          forget the login here
    GET  /api/login, GET /api/oauth-callback, POST /api/refresh   (code-pkce-cookie, bff)
"""
from __future__ import annotations

import html
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.routing import Route
from pydantic import BaseModel

from .auth import BffAuth, TokenAuth
from .backend_routes import backend_router
from .bff_sessions import SessionStore
from .config import BACKEND_MODES, IMPLICIT_MODES, ExampleConfig
from .cookies import ACCESS_COOKIE, Signer, clear_cookie, seconds_until, set_cookie
from .errors import ApiError, api_error_handler, token_rejected_handler
from .jwt_verifier import JwksCache, JwtVerifier, TokenRejected, http_jwks_fetcher
from .oauth_client import OAuthClient
from .security import SecurityHeaders, security_headers

STATIC_DIR = Path(__file__).parent / "static"
_HOOK = '<section id="demo-hook" hidden></section>'


@dataclass(frozen=True)
class AppSpec:
    """What makes the Store a store and the Forums a forum; everything else is shared."""

    theme: str  # CSS theme name: colours differ per app
    tagline: str
    data_route: str  # GET, returns {"items": [...], ...} for the logged-in user
    data_title: str
    add_route: str  # POST, state-changing
    add_label: str
    load: Callable[[str, dict[str, Any]], dict[str, Any]]  # (sub, claims) -> JSON
    add: Callable[[str, dict[str, Any], dict[str, Any]], dict[str, Any]]  # (sub, claims, body) -> JSON


class CookieDropBody(BaseModel):
    token: str


def create_example_app(cfg: ExampleConfig, spec: AppSpec, *, http: httpx.AsyncClient | None = None,
                       clock: Callable[[], float] = time.time) -> FastAPI:
    """`http` talks to the IdP's internal URL (JWKS, token endpoint); tests pass one built on a
    MockTransport. `clock` is the one "now" for token expiry and cookie lifetimes."""
    owns_http = http is None
    http = http or httpx.AsyncClient()

    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        yield
        if owns_http:
            await http.aclose()

    # FastAPI's native OpenTelemetry hook looks up the global providers on every request; the
    # examples export no traces, so it is off.
    app = FastAPI(title=f"authgate example: {cfg.name}", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None, telemetry={"tracing": False, "metrics": False, "logs": False})
    jwks = JwksCache(http_jwks_fetcher(http, cfg.idp_internal_url.rstrip("/") + "/.well-known/jwks.json"),
                     min_interval=cfg.jwks_min_refetch_seconds)
    verifier = JwtVerifier(jwks, issuer=cfg.issuer, audience=cfg.client_id, algorithms=cfg.allowed_algorithms,
                           leeway=cfg.leeway_seconds, clock=clock)
    oauth = OAuthClient(cfg, http)
    auth: TokenAuth | BffAuth
    if cfg.mode == "bff":
        auth = BffAuth(cfg, verifier, SessionStore(cfg.db_path), oauth, clock)
    else:
        auth = TokenAuth(cfg, verifier)
    app.state.verifier, app.state.jwks, app.state.auth = verifier, jwks, auth

    app.add_exception_handler(ApiError, api_error_handler)
    app.add_exception_handler(TokenRejected, token_rejected_handler)
    app.add_exception_handler(RequestValidationError, _bad_request)
    app.add_middleware(SecurityHeaders, headers=security_headers(cfg))

    page = _render_index(cfg, spec)

    @app.get("/", response_class=HTMLResponse)
    @app.get("/oauth-redirect", response_class=HTMLResponse)
    async def spa(xss: str = "") -> HTMLResponse:
        if cfg.vulnerable_demo and xss:
            # DELIBERATELY VULNERABLE (attack demos only): `?xss=` is reflected raw into the page,
            # ahead of our deferred module script, so an injected <script> runs first and can
            # read localStorage or wrap fetch() to catch the cookie-drop request.
            return HTMLResponse(page.replace(_HOOK, f'<section id="demo-hook">{xss}</section>'))
        return HTMLResponse(page)

    @app.get("/api/user")
    async def user(request: Request) -> JSONResponse:
        try:
            claims = await auth.claims(request)
        except (ApiError, TokenRejected) as exc:
            # The seeds' "check user" step: any missing or invalid JWT means "not logged in".
            raise ApiError(404, "not_logged_in", "No valid login") from exc
        return JSONResponse({
            "sub": claims["sub"],
            "email": claims.get("email"),
            "name": claims.get("preferred_username") or claims.get("email"),
            "roles": claims.get("roles", []),
            "exp": claims["exp"],
            "mode": cfg.mode,
            **await auth.extra_user_fields(request),
        })

    @app.post("/api/cookie-drop")
    async def cookie_drop(body: CookieDropBody, request: Request) -> JSONResponse:
        if cfg.mode in BACKEND_MODES:
            raise ApiError(404, "not_supported", f"In {cfg.mode} mode JavaScript never holds a JWT to drop")
        await auth.check_csrf(request)
        claims = await verifier.verify(body.token)  # invalid -> 401 before any cookie is set
        response = JSONResponse({"sub": claims["sub"], "exp": claims["exp"]})
        set_cookie(response, cfg, ACCESS_COOKIE, body.token, max_age=seconds_until(claims["exp"], clock()))
        return response

    async def load_data(request: Request) -> JSONResponse:
        claims = await auth.claims(request)
        return JSONResponse(spec.load(claims["sub"], claims))

    # Read on every page view, and it takes nothing but the request: a plain Starlette route skips
    # FastAPI's parameter solving (~15 % of this request). GET only, as @app.get would have it.
    data_route = Route(spec.data_route, load_data, methods=["GET"])
    data_route.methods.discard("HEAD")
    app.router.routes.append(data_route)

    @app.post(spec.add_route)
    async def add_item(request: Request) -> JSONResponse:
        await auth.check_csrf(request)
        claims = await auth.claims(request)
        try:
            body = await request.json()
        except ValueError as exc:
            raise ApiError(400, "invalid_request", "Body must be JSON") from exc
        if not isinstance(body, dict):
            raise ApiError(400, "invalid_request", "Body must be a JSON object")
        return JSONResponse(spec.add(claims["sub"], claims, body), status_code=201)

    if cfg.mode in BACKEND_MODES:
        secret = cfg.cookie_secret.encode() or secrets.token_bytes(32)
        app.include_router(backend_router(cfg, oauth, auth, Signer(secret), clock))
    else:
        @app.post("/api/logout")
        async def logout(request: Request) -> JSONResponse:
            await auth.check_csrf(request)
            body: dict[str, Any] = {"loggedOut": True}
            if cfg.mode in IMPLICIT_MODES:
                # Ending the IdP's SSO session too; otherwise "log in" would come straight back.
                body["idpLogoutUrl"] = oauth.logout_url()
            response = JSONResponse(body)
            clear_cookie(response, cfg, ACCESS_COOKIE)
            return response

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


async def _bad_request(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": "invalid_request", "error_description": "Malformed request body"}, 400)


def _render_index(cfg: ExampleConfig, spec: AppSpec) -> str:
    """The page config travels in a <meta> tag (CSP allows no inline script); html.escape makes
    the JSON inert inside the attribute."""
    page_config = {
        "name": cfg.name,
        "mode": cfg.mode,
        "clientId": cfg.client_id,
        "idp": cfg.idp_public_url.rstrip("/"),
        "origin": cfg.origin,
        "redirectUri": cfg.redirect_uri,
        "dataRoute": spec.data_route,
        "dataTitle": spec.data_title,
        "addRoute": spec.add_route,
        "addLabel": spec.add_label,
        "vulnerableDemo": cfg.vulnerable_demo,
        "idpLogoutQuery": urlencode({"client_id": cfg.client_id, "post_logout_redirect_uri": cfg.origin + "/"}),
    }
    template = (STATIC_DIR / "index.html").read_text()
    return (template.replace("{{title}}", html.escape(cfg.name))
            .replace("{{tagline}}", html.escape(spec.tagline))
            .replace("{{theme}}", html.escape(spec.theme))
            .replace("{{mode}}", html.escape(cfg.mode))
            .replace("{{config}}", html.escape(json.dumps(page_config), quote=True)))
