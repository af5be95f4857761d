"""Console: users. Search, create, edit, lock/unlock, deactivate/reactivate, delete; their
registrations and roles, SSO sessions and refresh tokens.

Every change calls the core operation the FusionAuth API calls too (`users.py`,
`registrations.py`, `refresh_tokens.py`, `account_lock.py`, `revocation.py`), so rules and audit
events are the API's own.
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from authgate import account_lock, events, lock_state, refresh_tokens, revocation
from authgate.admin.forms import PAGE, api_errors, start_of
from authgate.admin.render import render
from authgate.admin.session import Admin, Form, missing, require_admin, require_admin_form, see_other
from authgate.errors import ApiError
from authgate.field_errors import Errors
from authgate.lifecycle import reset_password
from authgate.mfa import factors, passkeys
from authgate.present import user_json
from authgate.registrations import delete_registration, register_user, update_registration
from authgate.users import create_user, delete_user, update_user

router = APIRouter()

PROFILE = ("email", "username", "firstName", "lastName")
NOTICES = {"created": "User created.", "saved": "Changes saved.", "locked": "User locked until an administrator unlocks them; their sessions ended.",
           "unlocked": "User unlocked.", "deactivated": "User deactivated; their sessions ended.",
           "reactivated": "User reactivated.", "deleted": "User deleted.", "registered": "Registration added.",
           "roles": "Roles saved.", "unregistered": "Registration removed.", "session": "Session ended.",
           "token": "Refresh token revoked.", "reset": "Password reset email sent.",
           "mfa": "Second factor removed."}


async def _load(admin: Admin, user_id: str) -> dict[str, Any]:
    row = await admin.reg.db.users.get(user_id) if len(user_id) <= 36 else None
    if row is None:
        raise missing(admin, "user", "/admin/users")
    return row


def _profile(form: Form, with_password: bool) -> dict[str, Any]:
    user: dict[str, Any] = {k: (form.get(k) or None) for k in PROFILE}
    password = form.values.get("password", [""])[0]
    if with_password or password:
        user["password"] = password or None
    return user


@router.get("/admin/users", include_in_schema=False)
async def list_users(request: Request, admin: Admin = Depends(require_admin)) -> Response:
    """The API's search: matches email and username, `*` or blank for everyone."""
    query = request.query_params.get("q", "")[:200]
    start = start_of(request)
    total, rows = await admin.reg.db.users.search(query or None, None, start, PAGE)
    return render("users.html", admin=admin, section="users", csrf_token=admin.csrf_token, users=[user_json(r) for r in rows],
                  total=total, query=query, start=start, more=total > start + PAGE,
                  notice=NOTICES.get(request.query_params.get("done", "")))


@router.get("/admin/users/new", include_in_schema=False)
async def new_form(admin: Admin = Depends(require_admin)) -> Response:
    return render("user_new.html", admin=admin, section="users", csrf_token=admin.csrf_token, values={}, errors={})


@router.post("/admin/users/new", include_in_schema=False)
async def create(posted: tuple[Admin, Form] = Depends(require_admin_form)) -> Response:
    admin, form = posted
    user = _profile(form, with_password=True)
    try:
        row = await create_user(admin.reg, {k: v for k, v in user.items() if v is not None}, None, Errors())
    except ApiError as exc:
        return render("user_new.html", status=400, admin=admin, section="users", csrf_token=admin.csrf_token,
                      values={k: v for k, v in user.items() if k != "password"}, errors=api_errors(exc, "user."))
    return see_other(f"/admin/users/{row['id']}", "created")


async def _detail(admin: Admin, row: dict[str, Any], errors: dict[str, list[str]] | None = None, status: int = 200,
                  notice: str | None = None, values: dict[str, Any] | None = None) -> Response:
    db = admin.reg.db
    regs = await db.registrations.for_user(row["id"])
    apps = {a["id"]: a for a in await db.applications.list()}
    registrations = [{"app": apps.get(r["application_id"]), "roles": list((r["doc"] or {}).get("roles") or []),
                      "application_id": r["application_id"], "insert_instant": r["insert_instant"]} for r in regs]
    registered = {r["application_id"] for r in regs}
    tokens = await db.refresh_tokens.live_for_user(row["id"])
    failures = await db.login_failures.get(row["id"])
    return render("user.html", status=status, admin=admin, section="users", csrf_token=admin.csrf_token,
                  user=user_json(row), values=values or user_json(row), errors=errors or {}, notice=notice,
                  locked=lock_state.locked(failures), locked_by_admin=lock_state.by_admin(failures),
                  locked_until=lock_state.locked_until(failures),
                  registrations=registrations, unregistered=[a for a in apps.values() if a["id"] not in registered],
                  sessions=await db.sso_sessions.live_for_user(row["id"]),
                  tokens=[{**t, "app": apps.get(t["application_id"])} for t in tokens],
                  totp=await factors.methods(admin.reg, row["id"]), passkeys=await passkeys.for_user(admin.reg, row["id"]),
                  is_self=row["id"] == admin.actor)


async def _refuse(admin: Admin, row: dict[str, Any], text: str) -> Response:
    """The user's page again, with why the action was refused."""
    return await _detail(admin, row, {"general": [text]}, 400)


def _of(row: dict[str, Any], found: dict[str, Any] | None) -> bool:
    """A session or token named by the form exists and belongs to this user (ids come from the browser)."""
    return found is not None and found["user_id"] == row["id"]


@router.get("/admin/users/{user_id}", include_in_schema=False)
async def detail(request: Request, user_id: str, admin: Admin = Depends(require_admin)) -> Response:
    return await _detail(admin, await _load(admin, user_id), notice=NOTICES.get(request.query_params.get("done", "")))


@router.post("/admin/users/{user_id}", include_in_schema=False)
async def save(user_id: str, posted: tuple[Admin, Form] = Depends(require_admin_form)) -> Response:
    """The profile form: a PATCH of the user (blank fields are removed; a password only if given)."""
    admin, form = posted
    row = await _load(admin, user_id)
    user = _profile(form, with_password=False)
    try:
        await update_user(admin.reg, row["id"], user, patch=True)
    except ApiError as exc:
        values = {**user_json(row), **{k: v for k, v in user.items() if k != "password"}}
        return await _detail(admin, row, api_errors(exc, "user."), 400, values=values)
    return see_other(f"/admin/users/{row['id']}", "saved")


@router.post("/admin/users/{user_id}/state", include_in_schema=False)
async def change_state(user_id: str, posted: tuple[Admin, Form] = Depends(require_admin_form)) -> Response:
    """`action`: lock, unlock, deactivate, reactivate or delete."""
    admin, form = posted
    row = await _load(admin, user_id)
    action, uid = form.get("action"), row["id"]
    if uid == admin.actor and action in ("lock", "deactivate", "delete"):
        return await _refuse(admin, row, "You cannot lock, deactivate or delete your own account here.")
    if action == "lock":
        await account_lock.lock(admin.reg, uid)
    elif action == "unlock":
        await account_lock.unlock(admin.reg, uid)
    elif action == "deactivate":
        await delete_user(admin.reg, uid, hard=False)
    elif action == "reactivate":
        await update_user(admin.reg, uid, {"active": True}, patch=True)
    elif action == "delete":
        await delete_user(admin.reg, uid, hard=True)
        return see_other("/admin/users", "deleted")
    else:
        return await _refuse(admin, row, "Unknown action.")
    return see_other(f"/admin/users/{uid}", {"lock": "locked", "unlock": "unlocked"}.get(action, action + "d"))


@router.post("/admin/users/{user_id}/registrations", include_in_schema=False)
async def registrations(user_id: str, posted: tuple[Admin, Form] = Depends(require_admin_form)) -> Response:
    """`action`: add (applicationId, roles), roles (applicationId, roles) or remove (applicationId)."""
    admin, form = posted
    row = await _load(admin, user_id)
    action, app_id, roles = form.get("action"), form.get("applicationId"), form.getlist("roles")
    try:
        if action == "add":
            await register_user(admin.reg, {"applicationId": app_id, "roles": roles}, row["id"], None)
            done = "registered"
        elif action == "roles":
            await update_registration(admin.reg, row["id"], app_id, {"roles": roles}, patch=True)
            done = "roles"
        elif action == "remove":
            await delete_registration(admin.reg, row["id"], app_id)
            done = "unregistered"
        else:
            return await _refuse(admin, row, "Unknown action.")
    except ApiError as exc:
        return await _detail(admin, row, api_errors(exc, "registration."), 400)
    return see_other(f"/admin/users/{row['id']}", done)


@router.post("/admin/users/{user_id}/sessions", include_in_schema=False)
async def end_session(user_id: str, posted: tuple[Admin, Form] = Depends(require_admin_form)) -> Response:
    """End one SSO session: it, its refresh tokens and its access tokens stop working (logout's rule)."""
    admin, form = posted
    row = await _load(admin, user_id)
    session = await admin.reg.db.sso_sessions.get(form.get("sessionId")[:36])
    if not _of(row, session):
        return await _refuse(admin, row, "No such session.")
    await revocation.end_session(admin.reg, session["id"])
    # Ending a session revokes its refresh tokens: recorded as that revocation, naming the session.
    await events.emit(admin.reg, events.REFRESH_TOKEN_REVOKE, user_id=row["id"], payload={"sessionId": session["id"]},
                      message=f"SSO session {session['id']} of user {row['id']} ended by an administrator")
    return see_other(f"/admin/users/{row['id']}", "session")


@router.post("/admin/users/{user_id}/tokens", include_in_schema=False)
async def revoke_token(user_id: str, posted: tuple[Admin, Form] = Depends(require_admin_form)) -> Response:
    admin, form = posted
    row = await _load(admin, user_id)
    token = await admin.reg.db.refresh_tokens.get(form.get("tokenId")[:36])
    if not _of(row, token):
        return await _refuse(admin, row, "No such refresh token.")
    await refresh_tokens.revoke_by_id(admin.reg, token["id"])
    return see_other(f"/admin/users/{row['id']}", "token")


@router.post("/admin/users/{user_id}/reset-password", include_in_schema=False)
async def send_reset(user_id: str, posted: tuple[Admin, Form] = Depends(require_admin_form)) -> Response:
    """The forgot-password email (lifecycle/reset_password.py), sent on the user's behalf."""
    admin, _ = posted
    row = await _load(admin, user_id)
    if not row["doc"].get("email"):
        return await _refuse(admin, row, "The user has no email address.")
    await reset_password.start(admin.reg, row, None)
    # No FusionAuth event type covers "reset email sent"; a plain audit entry records who asked.
    await events.emit(admin.reg, events.AUDIT_LOG_CREATE, user_id=row["id"],
                      message=f"Password reset email sent to user {row['id']} by an administrator")
    return see_other(f"/admin/users/{row['id']}", "reset")


@router.post("/admin/users/{user_id}/mfa", include_in_schema=False)
async def remove_factor(user_id: str, posted: tuple[Admin, Form] = Depends(require_admin_form)) -> Response:
    """Remove a TOTP method or a passkey (`kind`, `methodId`), e.g. after a lost device."""
    admin, form = posted
    row = await _load(admin, user_id)
    kind, method_id = form.get("kind"), form.get("methodId")[:64]
    removed = True
    if kind == "totp":
        try:
            await factors.remove_by_admin(admin.reg, row["id"], method_id)
        except LookupError:
            removed = False
    else:
        removed = kind == "passkey" and await passkeys.remove(admin.reg, row["id"], method_id)
    if not removed:
        return await _refuse(admin, row, "No such second factor.")
    return see_other(f"/admin/users/{row['id']}", "mfa")
