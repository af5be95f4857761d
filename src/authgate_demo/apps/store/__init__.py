"""The Store example app (see app.py)."""
