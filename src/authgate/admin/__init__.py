"""The admin console at `/admin`: server-rendered pages over the same core functions as the API.

An adapter like `ui/`: it parses form posts, calls the functions the FusionAuth API handlers call,
and renders Jinja2 pages. Login is OAuth code + PKCE through the hosted login (`session.py`); the
pages are in one module per area (`overview`, `applications`, `users`, `keys`).
"""
