"""The matrix as Markdown (for the README), one self-contained HTML page, or JSON."""
from __future__ import annotations

import html
import json
from pathlib import Path

from authgate_demo.attacks.matrix import BLOCKED, NA, NOT_RUN, SUCCEEDED, Cell, Matrix

MARK = {SUCCEEDED: "🔴 succeeded", BLOCKED: "🟢 blocked", NA: "⚪ n/a", NOT_RUN: "🟡 not run"}
MODE_NOTES = {
    "implicit-localstorage": "seed 002: implicit grant, JWT in localStorage",
    "implicit-cookie": "seed 000: implicit grant, JWT dropped into an HttpOnly cookie",
    "native-refresh-cookie": "seed 001: the app's own login form, refresh token in the IdP's cookie",
    "code-pkce-cookie": "recommended: code + PKCE, the backend sets HttpOnly cookies",
    "bff": "recommended: backend-for-frontend, opaque session cookie only",
    "password": "a password only",
    "password+totp": "password, then a 6-digit code from an authenticator app (RFC 6238)",
    "passkey": "a WebAuthn passkey (virtual authenticator in Chromium), alone or after the password; origin-bound",
    "hosted pages": "the IdP's hosted forgot-password and reset pages, with the demo's inbox",
}


def _short(cell: Cell) -> str:
    if cell.status == SUCCEEDED:
        return cell.stolen
    if cell.status == BLOCKED:
        return cell.mitigation
    return cell.reason


def markdown(m: Matrix) -> str:
    text = _markdown_table(m, "attack", "🔴 the attack worked; 🟢 it ran and failed; ⚪ does not apply; 🟡 could not run.")
    if m.factors is not None:
        text += ("\n## Factor x attack: what each login setup stops\n\n"
                 + _markdown_table(m.factors, "attack \\ login setup", "Columns are login setups (one stack, "
                                   "code-pkce-cookie); 🔴 the attack got a session; 🟢 it ran and failed."))
    if m.lifecycle is not None:
        text += ("\n## Account lifecycle: the reset link under attack\n\n"
                 + _markdown_table(m.lifecycle, "attack", "One stack (code-pkce-cookie) with the demo's inbox; "
                                   "🔴 the attacker got the reset secret or the account; 🟢 it ran and failed."))
    return text


def _markdown_table(m: Matrix, corner: str, legend: str) -> str:
    lines = [f"| {corner} | " + " | ".join(m.modes) + " |", "|---|" + "---|" * len(m.modes)]
    for s in m.scenarios:
        row = [f"{s.id[:2]}. {s.title}"]
        for mode in m.modes:
            try:
                row.append(MARK[m.cell(s.id, mode).status])
            except KeyError:
                row.append("")
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    lines.append(f"{len(m.cells)} cells in {m.seconds:.0f}s ({', '.join(f'{k}: {v}' for k, v in m.environment.items())}). "
                 + legend)
    lines.append("")
    lines.append("| attack | column | result | stolen / stopped by / why | usable for |")
    lines.append("|---|---|---|---|---|")
    for c in m.cells:
        if c.status == NA:
            continue
        lines.append(f"| {c.scenario[:2]} | {c.mode} | {c.status} | {_md(_short(c))}"
                     + (f" — mitigation: {_md(c.mitigation)}" if c.status == SUCCEEDED and c.mitigation else "")
                     + f" | {_md(c.usable_for)} |")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1200px;padding:0 1rem;color:#1d1d1f}
h1{margin-bottom:.2rem} .lede{color:#555;max-width:60rem}
table.matrix{border-collapse:collapse;width:100%;margin:1.5rem 0}
.matrix th,.matrix td{border:1px solid #ccc;padding:.45rem .5rem;vertical-align:top;font-size:13px}
.matrix th{background:#f4f4f6} .matrix th small{font-weight:normal;color:#666;display:block}
td.succeeded{background:#fde2e1} td.blocked{background:#dff5e3} td.na{background:#f3f3f3;color:#777}
td.notrun{background:#fff4cc} td a{color:inherit;text-decoration:none} td b{display:block}
section.cell{border-left:5px solid #ccc;padding:.3rem 1rem;margin:1rem 0}
section.succeeded{border-color:#d93025} section.blocked{border-color:#1e8e3e} section.notrun{border-color:#f9ab00}
pre{white-space:pre-wrap;background:#f7f7f9;padding:.5rem;font-size:12px} dt{font-weight:bold} dd{margin:0 0 .4rem 1rem}
"""


def _cls(status: str) -> str:
    return {SUCCEEDED: "succeeded", BLOCKED: "blocked", NA: "na", NOT_RUN: "notrun"}[status]


def _table_and_details(m: Matrix, corner: str) -> tuple[str, str]:
    e = html.escape
    head = "".join(f"<th>{e(mode)}<small>{e(MODE_NOTES.get(mode, ''))}</small></th>" for mode in m.modes)
    rows = []
    for s in m.scenarios:
        tds = []
        for mode in m.modes:
            try:
                c = m.cell(s.id, mode)
            except KeyError:
                tds.append("<td></td>")
                continue
            tds.append(f'<td class="{_cls(c.status)}"><a href="#{e(c.scenario)}--{e(mode)}"><b>{e(c.status)}</b>'
                       f"{e(_short(c))}</a></td>")
        rows.append(f'<tr><th><a href="#{e(s.id)}">{e(s.id[:2])}. {e(s.title)}</a></th>{"".join(tds)}</tr>')
    details = []
    for s in m.scenarios:
        details.append(f'<h2 id="{e(s.id)}">{e(s.id[:2])}. {e(s.title)}</h2><pre>{e(s.threat)}</pre>')
        for mode in m.modes:
            try:
                c = m.cell(s.id, mode)
            except KeyError:
                continue
            items = [("result", c.status)]
            if c.status in (SUCCEEDED, BLOCKED):
                items += [("stolen", c.stolen), ("usable for", c.usable_for), ("mitigation", c.mitigation)]
            else:
                items += [("why", c.reason)]
            dl = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in items if v)
            ev = "".join(f"<li>{e(x)}</li>" for x in c.evidence)
            details.append(f'<section class="cell {_cls(c.status)}" id="{e(c.scenario)}--{e(mode)}"><h3>{e(mode)}'
                           f"</h3><dl>{dl}</dl>{'<ul>' + ev + '</ul>' if ev else ''}</section>")
    env = ", ".join(f"{k}: {v}" for k, v in m.environment.items())
    table = (f"<p>{len(m.cells)} cells in {m.seconds:.0f}s. {e(env)}</p>"
             f'<table class="matrix"><tr><th>{e(corner)}</th>{head}</tr>{"".join(rows)}</table>')
    return table, "".join(details)


FACTORS_LEDE = """<p class="lede">The attacks on the login itself, against three ways of logging in: a password
only, a password and a code from an authenticator app (TOTP), and a passkey (WebAuthn, in a virtual authenticator
of the same Chromium). One stack; each cell has a fresh victim account set up for its column. The attacker holds a
leaked password, runs a combo list, relays the login pages from <code>evil.authgate.localhost</code>, steals a
recovery code or watches a code being typed. <b>succeeded</b> means the attacker got a session.</p>"""


LIFECYCLE_LEDE = """<p class="lede">The attacks on the emailed password-reset link. One stack; each row has a
fresh victim who reads their mail on the demo's inbox page in Chromium and clicks its links. The attacker forges
<code>Host</code> / <code>X-Forwarded-Host</code> on a reset request for the victim, waits on
<code>evil.authgate.localhost</code> for a <code>Referer</code> from the reset page, or opens a link again after it
was used or expired. <b>succeeded</b> means the attacker got the reset secret or the account.</p>"""


def html_page(m: Matrix) -> str:
    table, details = _table_and_details(m, "attack")
    factors = ""
    if m.factors is not None:
        f_table, f_details = _table_and_details(m.factors, "attack \\ login setup")
        factors = f'<h1 id="factors">Factor x attack</h1>{FACTORS_LEDE}{f_table}'
        details += f'<h1>Factor x attack: evidence</h1>{f_details}'
    if m.lifecycle is not None:
        l_table, l_details = _table_and_details(m.lifecycle, "attack")
        factors += f'<h1 id="lifecycle">Account lifecycle: the reset link</h1>{LIFECYCLE_LEDE}{l_table}'
        details += f'<h1>Account lifecycle: evidence</h1>{l_details}'
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>authgate attack matrix</title>
<style>{CSS}</style></head><body>
<h1>authgate attack matrix</h1>
<p class="lede">Each row is an attack on a browser login; each column is a way of doing browser login (the
first three are the workflows the FusionAuth articles describe, the last two the recommended ones). Every cell
was run just now: the identity provider and two example apps (a Store and a Forums) were started on
<code>*.authgate.localhost</code>, a real Chromium logged in as the victim through the real pages, and an
attacker -- injected script in that page, a page on another origin, or a program outside the browser -- tried
the attack. <b>succeeded</b> means the attack worked (what it got and for how long is shown);
<b>blocked</b> means it ran and failed (and what stopped it); <b>n/a</b> means the attack does not apply to
that workflow; <b>not run</b> means it could not run here. Click a cell for the evidence.</p>
{table}
{factors}
{details}
</body></html>
"""


def write(m: Matrix, out: Path, formats: list[str]) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        if fmt == "md":
            path, text = out / "attacks.md", markdown(m)
        elif fmt == "html":
            path, text = out / "attacks.html", html_page(m)
        elif fmt == "json":
            path, text = out / "attacks.json", json.dumps(m.to_json(), indent=2)
        else:
            raise ValueError(f"unknown format {fmt!r}: md, html or json")
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
