"""The same injected script as scenario 2, under the normal build's strict Content-Security-Policy.

Threat: the reflected `?xss=` injection of scenario 2, but the page carries the CSP the example
apps send when they are not the deliberately vulnerable demo build:
`script-src 'self'; connect-src 'self' <idp>; frame-ancestors 'none'; ...` (the harness swaps
the header on the vulnerable page's response in Chromium, so the injection point stays).
Inline script does not run; even if it did, it could not connect to the attacker's origin.
Stolen: nothing, if the CSP holds. Mitigation: a strict Content-Security-Policy (defence in
depth: it stops this payload, not every XSS -- keep tokens out of script's reach as well).
"""
from __future__ import annotations

from types import SimpleNamespace

from authgate_demo.attacks.matrix import Cell, blocked, succeeded
from authgate_demo.attacks.scenarios import jwts_in, xss_url

ID = "10-xss-under-strict-csp"
TITLE = "Scenario 2's injected script under the strict Content-Security-Policy"


def applies(mode: str) -> str | None:
    return None


async def run(ctx) -> Cell:  # type: ignore[no-untyped-def]
    from authgate_demo.apps.common.security import content_security_policy

    from authgate_demo.attacks.scenarios import _02 as s02  # type: ignore[attr-defined]

    strict = content_security_policy(SimpleNamespace(vulnerable_demo=False, idp_origin=ctx.url("idp")))
    page = await ctx.victim()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)

    async def strict_csp(route) -> None:  # type: ignore[no-untyped-def]
        # Fetched by the harness (Playwright's own fetch cannot resolve *.localhost), served unchanged
        # to Chromium except for the CSP header.
        path = route.request.url[len(ctx.url("store")):]
        r = await ctx.attack("GET", "store", path)
        headers = {k: v for k, v in r.headers.items() if k not in ("content-length", "content-encoding")}
        await route.fulfill(status=r.status_code, headers={**headers, "content-security-policy": strict}, body=r.content)

    await page.route(lambda url: url.startswith(ctx.url("store") + "/?xss="), strict_csp)
    tag = f"{ID}-{ctx.mode}"
    await page.goto(xss_url(ctx.url("store"), s02.payload(ctx.sink.collect_url(tag))))
    got = await ctx.sink.wait_for(tag, timeout=1.5)
    evidence = [f"page CSP: {strict.split('; frame-ancestors')[0]}",
                f"Chromium: {violations[0][:200]!r}" if violations else "no CSP console message seen",
                f"attacker's sink received {len(got)} request(s)"]
    if got:
        return succeeded(stolen="JWT" if jwts_in(got) else "storage contents", usable_for="see scenario 2",
                         mitigation="the CSP did not stop the payload", evidence=evidence)
    return blocked("strict Content-Security-Policy (script-src 'self': the inline payload never ran)", evidence)
