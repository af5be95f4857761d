"""What counts as an email address here: one `@`, a dot in the domain, no spaces, at most 320
characters (RFC 5321 s4.5.3.1 limits). Deliverability is the verification email's job."""
from __future__ import annotations

import re

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def is_email(value: str) -> bool:
    return bool(_EMAIL.match(value)) and len(value) <= 320
