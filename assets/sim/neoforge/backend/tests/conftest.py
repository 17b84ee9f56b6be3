"""Test fixtures: a fresh SQLite database per test, a client, and signed-in users."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Before the app is imported: its default engine (used by tests that do not take the
# `client` fixture) points at a throwaway file instead of the developer's database.
_SCRATCH = tempfile.mkdtemp(prefix="app-tests-")
atexit.register(shutil.rmtree, _SCRATCH, ignore_errors=True)
os.environ["DATABASE_URL"] = f"sqlite:///{Path(_SCRATCH) / 'default.db'}"
os.environ["SECRET_KEY"] = "test-secret-key-that-is-long-enough-for-hs256"

from fastapi.testclient import TestClient  # noqa: E402
from pwdlib import PasswordHash  # noqa: E402
from pwdlib.hashers.argon2 import Argon2Hasher  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from app import security  # noqa: E402
from app.db import get_session, init_db, make_engine, make_session_factory  # noqa: E402
from app.main import app  # noqa: E402

PASSWORD = "correct horse battery staple"

AuthHeaders = dict[str, str]

# The same algorithm (Argon2id) as in production, with cheap parameters: the recommended
# ones take a large fraction of a second per hash, which would make the suite slow.
FAST_PASSWORD_HASH = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(security, "password_hash", FAST_PASSWORD_HASH)


@pytest.fixture
def session_factory(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A new, empty database in this test's temporary folder."""
    engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    init_db(engine)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def db(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session on the test's database, to look at what the API stored."""
    with session_factory() as session:
        yield session


@pytest.fixture
def client(session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    def override_get_session() -> Iterator[Session]:
        with session_factory() as session:
            yield session

    app.dependency_overrides[get_session] = override_get_session
    try:
        with TestClient(app) as test_client:
            yield test_client
    finally:
        app.dependency_overrides.pop(get_session, None)


def sign_up(client: TestClient, email: str, password: str = PASSWORD) -> dict:
    response = client.post("/api/auth/signup", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    return response.json()


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> AuthHeaders:
    response = client.post("/api/auth/token", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def make_user(client: TestClient) -> Callable[[str], AuthHeaders]:
    """Signs up a user with this email and returns the headers of a signed-in request."""

    def make(email: str) -> AuthHeaders:
        sign_up(client, email)
        return sign_in(client, email)

    return make


@pytest.fixture
def alice(make_user: Callable[[str], AuthHeaders]) -> AuthHeaders:
    return make_user("alice@example.com")


@pytest.fixture
def bob(make_user: Callable[[str], AuthHeaders]) -> AuthHeaders:
    return make_user("bob@example.com")
