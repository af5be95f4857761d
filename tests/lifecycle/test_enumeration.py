"""No user enumeration through the hosted sign-up and forgot-password pages (CWE-204, CWE-208):
an address with an account and one without get the same page, and cost the same work. Measured
like login's claim (tests/security/test_enumeration.py): process CPU time, interleaved pairs,
median of pair ratios and ratio of medians within 5%, in one of up to three (five) rounds."""
from __future__ import annotations

import itertools
import statistics
import time
from typing import Any

import pytest

from tests.factories import make_user
from tests.lifecycle.helpers import STRONG, authorize, store_app
from tests.oauth2.conftest import form_fields

_n = itertools.count()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # Production argon2 cost; no SMTP host (mail stays queued: the request never sends it anyway).
    return {"password_reject_common": True}


async def _form(client, url: str) -> dict[str, str]:
    page = await client.get(url)
    assert page.status_code == 200
    return form_fields(page.text)


def _normalise(html: str, email: str) -> str:
    return html.replace(email, "EMAIL")


async def _same_cost(post_known, post_unknown, pairs: int = 20, tries: int = 3, bound: float = 0.05) -> None:
    rounds = []
    for _ in range(tries):
        known: list[float] = []
        unknown: list[float] = []
        for i in range(pairs):
            for fn, out in ((post_known, known), (post_unknown, unknown))[:: 1 if i % 2 else -1]:
                started = time.process_time()
                await fn()
                out.append(time.process_time() - started)
        pairwise = statistics.median(u / k for u, k in zip(unknown, known))
        of_medians = statistics.median(unknown) / statistics.median(known)
        rounds.append((round(pairwise, 3), round(of_medians, 3)))
        if 1 - bound <= pairwise <= 1 + bound and 1 - bound <= of_medians <= 1 + bound:
            return
    pytest.fail(f"unknown/known CPU time ratios (pairwise median, ratio of medians) per round: {rounds}")


async def test_sign_up_answers_the_same_for_a_known_and_a_new_address(client, registry):
    app = await store_app(registry)
    await make_user(registry, email="known@example.com", password=STRONG)
    url = f"/oauth2/register?client_id={app['id']}&redirect_uri={authorize(app['id'])['redirect_uri']}"
    fields = await _form(client, url)

    async def post(email: str) -> Any:
        r = await client.post("/oauth2/register", data={**fields, "email": email, "firstName": "X", "password": STRONG})
        assert r.status_code == 200
        return r

    known, new = await post("known@example.com"), await post("new-0@example.com")
    assert _normalise(known.text, "known@example.com") == _normalise(new.text, "new-0@example.com")
    assert known.headers.get("set-cookie") == new.headers.get("set-cookie")
    await _same_cost(lambda: post("known@example.com"), lambda: post(f"new-{next(_n) + 1}@example.com"))


async def test_forgot_password_answers_the_same_for_a_known_and_an_unknown_address(client, registry):
    await make_user(registry, email="known@example.com", password=STRONG)
    fields = await _form(client, "/password/forgot")

    posted = []

    async def post(email: str) -> Any:
        r = await client.post("/password/forgot", data={**fields, "email": email})
        assert r.status_code == 200
        posted.append(email)
        return r

    known, unknown = await post("known@example.com"), await post("nobody@example.com")
    assert _normalise(known.text, "known@example.com") == _normalise(unknown.text, "nobody@example.com")
    # About a millisecond a request (no password hash here): more pairs and rounds, so a shared
    # machine's noise does not decide it. The page queues one job either way and looks nothing up
    # (lifecycle/reset_password.py): 5% on both backends.
    await _same_cost(lambda: post("known@example.com"), lambda: post("nobody@example.com"), pairs=60, tries=5)
    assert await registry.db.outbox.pending_count() == len(posted)  # one queued job per request, no email yet
