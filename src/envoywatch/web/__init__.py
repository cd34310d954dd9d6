"""The dashboard and JSON API (FastAPI + Jinja2, vendored Vega): read-only unless a token is given."""

from envoywatch.web.app import create_app

__all__ = ["create_app"]
