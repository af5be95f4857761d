"""The Forums example app (see app.py)."""
