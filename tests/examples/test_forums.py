"""The Forums: same machinery as the Store, its own client id, data and look."""
from __future__ import annotations

import pytest

from .conftest import FORUMS_CLIENT, FORUMS_ORIGIN, STORE_CLIENT


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("mode", ["implicit-localstorage", "implicit-cookie", "native-refresh-cookie"])
async def test_forums_page_looks_different_from_the_store(make_client, mode):
    forums = await make_client(mode, forums=True)
    store = await make_client(mode)
    assert '<body data-theme="store">' in (await store.get("/")).text
    page = (await forums.get("/")).text
    assert '<body data-theme="forums">' in page and "<h1 id=\"app-title\">Forums</h1>" in page
    assert f'<strong id="mode">{mode}</strong>' in page


async def test_posts_load_for_a_forums_token_and_include_seeded_posts(make_client, idp):
    client = await make_client("implicit-localstorage", forums=True)
    response = await client.get("/api/load-posts", headers=bearer(idp.mint(aud=FORUMS_CLIENT)))
    assert response.status_code == 200
    body = response.json()
    assert body["items"] == []  # richard has not posted yet
    assert any("ada@example.com" in post["text"] for post in body["recent"])


async def test_a_store_token_is_refused_by_the_forums(make_client, idp):
    client = await make_client("implicit-cookie", forums=True)
    response = await client.get("/api/load-posts", headers=bearer(idp.mint(aud=STORE_CLIENT)))
    assert response.status_code == 401
    assert response.json()["error_description"] == "The access token was issued for another application"
    drop = await client.post("/api/cookie-drop", json={"token": idp.mint(aud=STORE_CLIENT)})
    assert drop.status_code == 401 and "set-cookie" not in drop.headers


async def test_posting_then_reading_back(make_client, idp):
    client = await make_client("native-refresh-cookie", forums=True)
    await client.post("/api/cookie-drop", json={"token": idp.mint(aud=FORUMS_CLIENT)})
    created = await client.post("/api/posts", json={"text": "<b>hello</b> forum"}, headers={"Origin": FORUMS_ORIGIN})
    assert created.status_code == 201
    items = (await client.get("/api/load-posts")).json()["items"]
    assert [i["text"] for i in items] == ["<b>hello</b> forum"]  # stored as text; the SPA renders textContent


@pytest.mark.parametrize("body", [{"text": ""}, {"text": "x" * 501}, {"text": 5}, {}])
async def test_invalid_posts_are_refused(make_client, idp, body):
    client = await make_client("implicit-cookie", forums=True)
    await client.post("/api/cookie-drop", json={"token": idp.mint(aud=FORUMS_CLIENT)})
    response = await client.post("/api/posts", json=body)
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


async def test_forums_bff_login(make_client, idp):
    idp.next_aud = FORUMS_CLIENT
    client = await make_client("bff", forums=True)
    login = await client.get("/api/login")
    assert f"client_id={FORUMS_CLIENT}" in login.headers["location"]
    state = login.headers["location"].split("state=")[1].split("&")[0]
    await client.get("/api/oauth-callback", params={"code": "c", "state": state})
    assert (await client.get("/api/load-posts")).status_code == 200
