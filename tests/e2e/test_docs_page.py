"""`/docs` in Chromium: the self-hosted API reference renders every operation under a strict CSP,
loads nothing from another origin, and is usable with the keyboard."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.reliability import nodes

pytestmark = pytest.mark.e2e
ARTIFACTS = Path("test-artifacts/docs")


async def test_docs_page_renders_the_openapi_document(browser, tmp_path):
    node = nodes.Node(tmp_path / "data", {"AUTHGATE_ISSUER": "http://idp.test", "AUTHGATE_RATE_LIMIT_STORAGE": ""},
                      tmp_path / "node.log").start()
    try:
        context = await browser.new_context(viewport={"width": 1280, "height": 720})
        page = await context.new_page()
        problems: list[str] = []
        requested: list[str] = []
        page.on("console", lambda m: problems.append(f"{m.text} {m.location.get('url')}")
                if m.type in ("error", "warning") and "favicon" not in (m.location.get("url") or "") else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("request", lambda r: requested.append(r.url))
        response = await page.goto(f"{node.url}/docs")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        await page.wait_for_selector("section h2")
        tags = await page.locator("section h2").all_text_contents()
        assert {"Users", "Login", "Webhooks", "System", "OAuth 2 / OIDC"} <= set(tags)
        user_create = page.locator("details", has=page.locator("summary", has_text="/api/user")).filter(
            has_text="API key").first
        assert await user_create.count() == 1
        # Keyboard: focus the filter, narrow to the webhooks, open one operation with Enter.
        await page.focus("#filter")
        await page.keyboard.type("/api/webhook")
        visible = page.locator("details:not([hidden])")
        assert await visible.count() >= 5
        assert all("/api/webhook" in t for t in await visible.locator(".path").all_text_contents())
        await page.keyboard.press("Tab")
        await page.keyboard.press("Enter")
        opened = page.locator("details[open]")
        await opened.first.wait_for()
        assert "connectTimeout" in await opened.first.locator("pre").first.text_content()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "docs.png"))
        assert problems == [], problems
        assert all(url.startswith(node.url) for url in requested), requested  # no CDN, nothing external
        await context.close()
    finally:
        node.stop()
