"""Email templates: `NAME.subject`, `NAME.txt` and `NAME.html` (Jinja2), built-in in
`mail/templates/`, each replaceable by a file of the same name in `AUTHGATE_MAIL_TEMPLATES_DIR`.

The text part is not escaped (it is plain text); the HTML part is autoescaped. Every template
gets `issuer` and `app_name` besides its own variables; links are passed in, built by
`links.py` from the issuer, never from a request.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, TemplateNotFound

_BUILT_IN = Path(__file__).parent / "templates"

VERIFY_EMAIL = "verify-email"
FORGOT_PASSWORD = "forgot-password"
ALREADY_REGISTERED = "already-registered"  # a sign-up with an address that has an account
PASSWORD_CHANGED = "password-changed"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None


class Templates:
    def __init__(self, override_dir: Path | None = None) -> None:
        dirs = [str(override_dir)] if override_dir else []
        loader = ChoiceLoader([FileSystemLoader(dirs), FileSystemLoader(str(_BUILT_IN))])
        self._text = Environment(loader=loader, autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True)
        self._html = Environment(loader=loader, autoescape=True, undefined=StrictUndefined)

    def render(self, template: str, **context: Any) -> Rendered:
        # A subject is one line (RFC 5322 s2.2.3: no folding of our own, no header injection).
        subject = " ".join(self._text.get_template(f"{template}.subject").render(**context).split())
        text = self._text.get_template(f"{template}.txt").render(**context)
        try:
            html: str | None = self._html.get_template(f"{template}.html").render(**context)
        except TemplateNotFound:  # an override directory may offer plain text only
            html = None
        return Rendered(subject, text, html)
