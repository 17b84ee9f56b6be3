"""Persistence: the SQLAlchemy engine, the session factory and the `get_session` dependency."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from .config import settings


class Base(DeclarativeBase):
    """The base class of every ORM model (see app.models)."""


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite connections get foreign keys and cross-thread use."""
    is_sqlite = url.startswith("sqlite")
    engine = create_engine(url, connect_args={"check_same_thread": False} if is_sqlite else {})
    if is_sqlite:

        @event.listens_for(engine, "connect")
        def _enable_foreign_keys(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    return engine


def make_session_factory(bind: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=bind, autoflush=False, expire_on_commit=False)


engine = make_engine(settings.database_url)
SessionLocal = make_session_factory(engine)


def init_db(bind: Engine | None = None) -> None:
    """Creates the tables that do not exist yet (idempotent); called at startup."""
    from . import models  # noqa: F401  (registers the tables on Base.metadata)

    Base.metadata.create_all(bind or engine)


def get_session() -> Iterator[Session]:
    """FastAPI dependency: one session per request, closed afterwards."""
    with SessionLocal() as session:
        yield session
