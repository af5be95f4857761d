"""Token endpoint grants (RFC 6749 section 4), one module each."""
