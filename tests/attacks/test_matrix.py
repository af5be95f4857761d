"""The attack matrix, pinned cell by cell: a regression in any mitigation (or a new hole) fails here.

Runs `authgate attacks` end to end once (every scenario in every workflow mode, real Chromium,
real servers) and compares each cell's status with the table below, which follows the seeds
(FusionAuth's articles) and the mitigations authgate wires in.
"""
from __future__ import annotations

import asyncio
import json

import pytest

from authgate_demo.attacks.harness import MODES, chromium_problem, run_matrix
from authgate_demo.attacks.matrix import BLOCKED, NA, SUCCEEDED
from authgate_demo.attacks.report import html_page, markdown

pytestmark = pytest.mark.e2e

S, B, N = SUCCEEDED, BLOCKED, NA
# columns: implicit-localstorage, implicit-cookie, native-refresh-cookie, code-pkce-cookie, bff
EXPECTED: dict[str, tuple[str, str, str, str, str]] = {
    # a stolen JWT works wherever the browser holds one, until exp (logout does not end it at the Store)
    "01-stolen-jwt-replay": (S, S, S, S, N),
    # nothing readable by page script except in implicit-localstorage
    "02-xss-read-storage": (S, B, B, B, B),
    # the JWT passes through JavaScript in the cookie drop (and /api/login's body) -- not in code/bff
    "03-xss-hook-fetch": (N, S, S, B, B),
    # native: a public client without DPoP; code-pkce-cookie: the token was issued to a confidential
    # client, so /oauth2/token wants its secret and /api/jwt/refresh (no client auth) refuses it
    "04-stolen-refresh-token": (N, N, S, B, N),
    # rotation + reuse detection (OneTimeUse, default): the family is revoked, the victim re-logs in
    "05-refresh-reuse-after-rotation": (N, N, B, B, N),
    # one refresh_token cookie on the IdP origin for every native-mode app
    "06-refresh-cookie-clobbering": (N, N, S, N, N),
    # SSO (implicit) or the HttpOnly refresh cookie (native) lets injected script mint a new JWT
    "07-xss-silent-relogin": (S, S, S, B, B),
    # DPoP: the IdP checks the proof, the DPoP refresh binds the rotated refresh token, and the
    # Store refuses a bound token presented as Bearer
    "08-dpop-replay": (N, N, B, N, N),
    # Origin check everywhere, plus X-CSRF-Token in bff
    "09-csrf": (N, B, B, B, B),
    # the normal build's CSP stops scenario 2's inline payload in every mode
    "10-xss-under-strict-csp": (B, B, B, B, B),
    # a sibling page's no-cors Blob login / text/plain logout: JSON endpoints touching the IdP's
    # cookies need application/json + an allowed Origin; hosted forms their CSRF token (issue 15 #2)
    "11-cross-site-login-logout": (B, B, B, B, B),
    # the attacker's session cookies planted with Domain=authgate.localhost: two cookies of one name
    # are both ignored, the SSO session is bound to its browser cookie (issue 15 #3)
    "12-sibling-cookie-planting": (B, B, B, B, B),
}


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):  # type: ignore[no-untyped-def]
    problem = chromium_problem()
    if problem:
        pytest.skip(problem)
    # the factor x attack matrix and the lifecycle attacks have their own modules (test_factor_matrix.py,
    # test_lifecycle_matrix.py)
    return asyncio.run(run_matrix(MODES, data_dir=tmp_path_factory.mktemp("attacks"), setups=(), lifecycle=False))


def test_every_cell_matches_the_expected_table(matrix) -> None:  # type: ignore[no-untyped-def]
    assert [s.id for s in matrix.scenarios] == list(EXPECTED)
    wrong = []
    for scenario, row in EXPECTED.items():
        for mode, want in zip(MODES, row):
            cell = matrix.cell(scenario, mode)
            if cell.status != want:
                wrong.append(f"{scenario} / {mode}: expected {want}, got {cell.status} "
                             f"({cell.reason or cell.mitigation}; evidence: {cell.evidence})")
    assert not wrong, "\n".join(wrong)


def test_cells_explain_themselves(matrix) -> None:  # type: ignore[no-untyped-def]
    for cell in matrix.cells:
        if cell.status == SUCCEEDED:
            assert cell.stolen and cell.usable_for and cell.evidence, cell
        elif cell.status == BLOCKED:
            assert cell.mitigation and cell.evidence, cell
        else:
            assert cell.reason, cell


def test_cross_site_login_and_cookie_planting_leave_the_victim_as_themself(matrix) -> None:  # type: ignore[no-untyped-def]
    """Issue 15 findings 2 and 3 as the pen-tester ran them: the Store must never come back as mallory."""
    native = matrix.cell("11-cross-site-login-logout", "native-refresh-cookie")
    assert any("POST /api/login -> 400" in e for e in native.evidence), native.evidence
    assert any("shows: 'Logged in as richard@example.com" in e for e in native.evidence), native.evidence
    for mode in MODES:
        planted = matrix.cell("12-sibling-cookie-planting", mode)
        assert any("next login at the Store" in e and "mallory" not in e for e in planted.evidence), planted.evidence


def test_specific_findings_are_measured(matrix) -> None:  # type: ignore[no-untyped-def]
    stolen_jwt = matrix.cell("01-stolen-jwt-replay", "native-refresh-cookie")
    assert any("after exp" in e and "401" in e for e in stolen_jwt.evidence)  # short lifetime ends it
    reuse = matrix.cell("05-refresh-reuse-after-rotation", "native-refresh-cookie")
    assert any("login again" in e for e in reuse.evidence)  # the legitimate session had to re-login
    csp = matrix.cell("10-xss-under-strict-csp", "implicit-localstorage")
    assert any("0 request" in e for e in csp.evidence)


def test_reports_render(matrix) -> None:  # type: ignore[no-untyped-def]
    md = markdown(matrix)
    assert md.count("\n| ") >= len(EXPECTED) and "🔴" in md
    page = html_page(matrix)
    assert page.startswith("<!doctype html>") and "<script" not in page and "http://" not in page.split("<style>")[0]
    json.dumps(matrix.to_json())
