"""/api/auth: sign up, sign in (OAuth2 form or JSON), and the signed-in user."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db import get_session
from ..models import User
from ..schemas import Token, UserCreate, UserLogin, UserRead
from ..security import (
    ACCESS_TOKEN_TTL,
    CurrentUser,
    authenticate,
    create_access_token,
    hash_password,
)

router = APIRouter(prefix="/api/auth", tags=["auth"])

SessionDep = Annotated[Session, Depends(get_session)]

EMAIL_TAKEN = "An account with this email already exists"
BAD_CREDENTIALS = "Incorrect email or password"


def _token_for(user: User) -> Token:
    return Token(
        access_token=create_access_token(str(user.id)),
        expires_in=int(ACCESS_TOKEN_TTL.total_seconds()),
    )


def _sign_in(session: Session, email: str, password: str) -> Token:
    user = authenticate(session, email, password)
    if user is None:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail=BAD_CREDENTIALS,
            headers={"WWW-Authenticate": "Bearer"},
        )
    return _token_for(user)


@router.post("/signup", response_model=UserRead, status_code=status.HTTP_201_CREATED)
def sign_up(body: UserCreate, session: SessionDep) -> User:
    """Creates an account; the password is stored hashed."""
    email = body.email.lower()
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise HTTPException(status_code=status.HTTP_409_CONFLICT, detail=EMAIL_TAKEN)
    user = User(email=email, full_name=body.full_name, hashed_password=hash_password(body.password))
    session.add(user)
    try:
        session.commit()
    except IntegrityError as error:  # the same email, signed up at the same moment
        session.rollback()
        raise HTTPException(status_code=status.HTTP_409_CONFLICT, detail=EMAIL_TAKEN) from error
    session.refresh(user)
    return user


@router.post("/token", response_model=Token)
def token(form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep) -> Token:
    """OAuth2 password flow (form fields `username`, which is the email, and `password`)."""
    return _sign_in(session, form.username, form.password)


@router.post("/login", response_model=Token)
def login(body: UserLogin, session: SessionDep) -> Token:
    """Sign-in with a JSON body: {"email": ..., "password": ...}."""
    return _sign_in(session, body.email, body.password)


@router.get("/me", response_model=UserRead)
def me(user: CurrentUser) -> User:
    """The signed-in user."""
    return user
