"""The FastAPI application: metadata endpoints, CORS and router discovery."""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from . import __version__, routes
from .config import settings

APP_NAME = {{ name | tojson }}
APP_DESCRIPTION = {{ idea | tojson }}

logger = logging.getLogger(__name__)


def _optional_module(name: str):
    """Import ``app.<name>`` if the module exists, else return None."""
    full_name = f"{__package__}.{name}"
    try:
        return importlib.import_module(full_name)
    except ModuleNotFoundError as error:
        if error.name == full_name:
            return None
        raise


def include_routers(app: FastAPI) -> None:
    """Mount the ``router`` of every module in ``app/routes/``, in name order."""
    for info in sorted(pkgutil.iter_modules(routes.__path__), key=lambda module: module.name):
        module = importlib.import_module(f"{routes.__name__}.{info.name}")
        router = getattr(module, "router", None)
        if router is not None:
            app.include_router(router)
            logger.debug("mounted router from %s", module.__name__)


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    db = _optional_module("db")
    init_db = getattr(db, "init_db", None)
    if callable(init_db):
        init_db()
    yield


def create_app() -> FastAPI:
    app = FastAPI(
        title=APP_NAME,
        description=APP_DESCRIPTION,
        version=__version__,
        lifespan=lifespan,
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
    )

    @app.get("/health", tags=["meta"])
    def health() -> dict[str, str]:
        """Liveness check for load balancers and container health checks."""
        return {"status": "ok"}

    @app.get("/", tags=["meta"])
    def root() -> dict[str, str]:
        """What this service is, and where its API documentation lives."""
        return {"name": APP_NAME, "version": __version__, "docs": "/docs"}

    include_routers(app)
    return app


app = create_app()
