"""API routers.

Every module in this package that defines a module-level ``router``
(a ``fastapi.APIRouter``) is mounted by ``app.main`` automatically.
Give each router a prefix under ``/api``.
"""
