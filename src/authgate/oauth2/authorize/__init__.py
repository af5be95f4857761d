"""The authorization endpoint (RFC 6749 section 3.1, OpenID Connect Core 3.1.2): one check per rule,
declared in order in `steps.py`."""
