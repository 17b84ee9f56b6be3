"""Request and response bodies (Pydantic v2)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

PASSWORD_MIN_LENGTH = 8
TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 2000


class UserCreate(BaseModel):
    """Sign-up: an email address and a password of at least 8 characters."""

    model_config = ConfigDict(str_strip_whitespace=True)

    email: EmailStr
    password: str = Field(min_length=PASSWORD_MIN_LENGTH, max_length=128)
    full_name: str | None = Field(default=None, max_length=100)


class UserLogin(BaseModel):
    """Sign-in with a JSON body (the form-encoded OAuth2 flow is POST /api/auth/token)."""

    email: EmailStr
    password: str = Field(min_length=1, max_length=128)


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: EmailStr
    full_name: str | None
    created_at: datetime


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Lifetime of the token, in seconds")


class ItemCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=TITLE_MAX_LENGTH)
    description: str = Field(default="", max_length=DESCRIPTION_MAX_LENGTH)
    done: bool = False


class ItemUpdate(BaseModel):
    """A partial update: fields left out stay as they are; none of them may be null."""

    model_config = ConfigDict(str_strip_whitespace=True)

    title: str | None = Field(default=None, min_length=1, max_length=TITLE_MAX_LENGTH)
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX_LENGTH)
    done: bool | None = None

    @field_validator("title", "description", "done", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Only runs for fields present in the body: leaving one out is fine, null is not.
        if value is None:
            raise ValueError("may be left out, but not null")
        return value


class ItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    description: str
    done: bool
    owner_id: int
    created_at: datetime
    updated_at: datetime


class ItemPage(BaseModel):
    """One page of items, with the total count for the same filter."""

    items: list[ItemRead]
    total: int
    limit: int
    offset: int
