"""A machine-learning service: a scikit-learn model behind a FastAPI JSON API."""

__version__ = "0.1.0"
