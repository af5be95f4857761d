"""The account-lifecycle attacks, pinned cell by cell: the emailed reset link under attack in
real Chromium (the victim reads their mail on the demo inbox page and clicks its links), on SQLite
and PostgreSQL. Every cell must run: these flows are all on this build."""
from __future__ import annotations

import asyncio
import json

import pytest

from authgate_demo.attacks.harness import chromium_problem, run_matrix
from authgate_demo.attacks.lifecycle import COLUMN
from authgate_demo.attacks.matrix import BLOCKED
from authgate_demo.attacks.report import html_page, markdown
from tests.conftest import BACKENDS, backend_of, idp_database

pytestmark = pytest.mark.e2e

EXPECTED = {
    # the link is the issuer's whatever Host / X-Forwarded-Host the attacker sent
    "l1-reset-link-poisoning": BLOCKED,
    # no Referer leaves the reset page, and it loads nothing third-party
    "l2-reset-token-referer": BLOCKED,
    # single use, short-lived
    "l3-reset-link-reuse": BLOCKED,
}


@pytest.fixture(scope="module", params=BACKENDS)
def matrix(request, tmp_path_factory):  # type: ignore[no-untyped-def]
    backend = backend_of(request)
    problem = chromium_problem()
    if problem:
        pytest.skip(problem)

    async def run():  # type: ignore[no-untyped-def]
        async with idp_database(backend) as overrides:
            return await run_matrix((), data_dir=tmp_path_factory.mktemp("lifecycle"), setups=(),
                                    lifecycle_idp_overrides=overrides)

    m = asyncio.run(run())
    assert m.lifecycle is not None
    assert m.lifecycle.environment["database"] == ("PostgreSQL" if backend == "postgres" else "SQLite")
    return m


def test_every_cell_matches_the_expected_table(matrix) -> None:  # type: ignore[no-untyped-def]
    lifecycle = matrix.lifecycle
    assert lifecycle.modes == [COLUMN] and [s.id for s in lifecycle.scenarios] == list(EXPECTED)
    wrong = [f"{c.scenario}: expected {EXPECTED[c.scenario]}, got {c.status} ({c.reason or c.mitigation}; "
             f"evidence: {c.evidence})" for c in lifecycle.cells if c.status != EXPECTED[c.scenario]]
    assert not wrong, "\n".join(wrong)
    for cell in lifecycle.cells:
        assert cell.mitigation and cell.evidence, cell


def _cell(matrix, scenario: str):  # type: ignore[no-untyped-def]
    return matrix.lifecycle.cell(scenario, COLUMN)


def test_the_forged_hosts_were_accepted_and_the_mail_still_points_at_the_idp(matrix) -> None:  # type: ignore[no-untyped-def]
    evidence = _cell(matrix, "l1-reset-link-poisoning").evidence
    # both forged requests were answered like any other: the attack was really tried
    assert sum("-> 200 'Check your email'" in e for e in evidence if e.startswith("attacker:")) == 2
    links = next(e for e in evidence if "reset email(s) in the victim's inbox" in e)
    assert links.startswith("2 reset email(s)") and "evil." not in links and "http://idp.authgate.localhost:" in links
    assert any("landed on idp.authgate.localhost" in e and "'Choose a new password'" in e for e in evidence)


def test_the_attackers_site_got_the_click_but_no_referer(matrix) -> None:  # type: ignore[no-untyped-def]
    evidence = _cell(matrix, "l2-reset-token-referer").evidence
    assert any("Referrer-Policy: no-referrer" in e and "default-src 'none'" in e for e in evidence)
    assert any("1 visit(s) from the link, 0 image fetch(es); Referer received: [null]" in e for e in evidence)


def test_used_and_expired_links_are_refused_in_the_browser_and_the_api(matrix) -> None:  # type: ignore[no-untyped-def]
    evidence = _cell(matrix, "l3-reset-link-reuse").evidence
    assert any("victim resets from the inbox in Chromium: 'Your password was changed'" in e for e in evidence)
    for kind in ("(reused)", "(expired"):
        assert any(e.startswith(kind) and ": 404 'This link cannot be used'" in e for e in evidence), kind
        assert any(e.startswith(kind) and "change-password/{id} -> 404" in e for e in evidence), kind
    assert evidence[-1].endswith("-> 200")  # the victim's own new password is untouched


def test_reports_render_the_lifecycle_matrix(matrix) -> None:  # type: ignore[no-untyped-def]
    md = markdown(matrix)
    assert "Account lifecycle" in md and "l1. Reset-link poisoning" in md and "🟢 blocked" in md
    page = html_page(matrix)
    assert 'id="lifecycle"' in page and 'id="l2-reset-token-referer--hosted pages"' in page and "<script" not in page
    assert "lifecycle" in json.loads(json.dumps(matrix.to_json()))
