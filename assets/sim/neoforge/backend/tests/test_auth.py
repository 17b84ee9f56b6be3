"""Sign-up, sign-in and the current user."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import User
from app.security import create_access_token, verify_password

PASSWORD = "correct horse battery staple"


def sign_up(client: TestClient, email: str = "alice@example.com", password: str = PASSWORD):
    return client.post(
        "/api/auth/signup", json={"email": email, "password": password, "full_name": "Alice"}
    )


def token_for(client: TestClient, email: str = "alice@example.com", password: str = PASSWORD):
    return client.post("/api/auth/token", data={"username": email, "password": password})


def test_sign_up_creates_an_account(client: TestClient) -> None:
    response = sign_up(client)
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "alice@example.com"
    assert body["full_name"] == "Alice"
    assert isinstance(body["id"], int)
    assert "password" not in body and "hashed_password" not in body


def test_the_password_is_stored_hashed(client: TestClient, db: Session) -> None:
    sign_up(client)
    user = db.scalar(select(User).where(User.email == "alice@example.com"))
    assert user is not None
    assert user.hashed_password != PASSWORD
    assert verify_password(PASSWORD, user.hashed_password)


def test_an_email_signs_up_only_once(client: TestClient) -> None:
    assert sign_up(client).status_code == 201
    again = sign_up(client, email="ALICE@example.com")
    assert again.status_code == 409
    assert again.json()["detail"] == "An account with this email already exists"


def test_sign_up_validates_the_email_and_the_password(client: TestClient) -> None:
    bad_email = sign_up(client, email="not-an-email")
    assert bad_email.status_code == 422
    assert bad_email.json()["detail"][0]["loc"] == ["body", "email"]
    short_password = sign_up(client, password="short")
    assert short_password.status_code == 422
    assert short_password.json()["detail"][0]["loc"] == ["body", "password"]


def test_sign_in_gives_a_bearer_token_for_the_user(client: TestClient) -> None:
    sign_up(client)
    response = token_for(client)
    assert response.status_code == 200
    token = response.json()
    assert token["token_type"] == "bearer"
    assert token["expires_in"] > 0
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert me.status_code == 200
    assert me.json()["email"] == "alice@example.com"


def test_sign_in_with_a_json_body(client: TestClient) -> None:
    sign_up(client)
    response = client.post(
        "/api/auth/login", json={"email": "Alice@Example.com", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.json()["access_token"]


def test_a_wrong_password_is_refused(client: TestClient) -> None:
    sign_up(client)
    response = token_for(client, password="wrong password")
    assert response.status_code == 401
    assert response.json()["detail"] == "Incorrect email or password"
    assert response.headers["www-authenticate"] == "Bearer"


def test_an_unknown_email_is_refused_the_same_way(client: TestClient) -> None:
    response = token_for(client, email="nobody@example.com")
    assert response.status_code == 401
    assert response.json()["detail"] == "Incorrect email or password"


def test_me_needs_a_token(client: TestClient) -> None:
    assert client.get("/api/auth/me").status_code == 401
    forged = client.get("/api/auth/me", headers={"Authorization": "Bearer not.a.token"})
    assert forged.status_code == 401


def test_an_expired_token_is_refused(client: TestClient) -> None:
    user_id = sign_up(client).json()["id"]
    expired = create_access_token(str(user_id), ttl=timedelta(seconds=-1))
    response = client.get("/api/auth/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401


def test_a_token_of_a_deleted_user_is_refused(client: TestClient, db: Session) -> None:
    user_id = sign_up(client).json()["id"]
    headers = {"Authorization": f"Bearer {create_access_token(str(user_id))}"}
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    db.delete(db.get(User, user_id))
    db.commit()
    assert client.get("/api/auth/me", headers=headers).status_code == 401
