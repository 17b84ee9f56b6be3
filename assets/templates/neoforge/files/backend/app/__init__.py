"""Backend of the application: a FastAPI JSON API (see app.main)."""

__version__ = "0.1.0"
