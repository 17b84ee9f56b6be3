"""Settings, read from environment variables (see .env.example)."""

from __future__ import annotations

import os
from dataclasses import dataclass


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


@dataclass(frozen=True)
class Settings:
    environment: str
    database_url: str
    cors_origins: list[str]
    secret_key: str

    @property
    def is_production(self) -> bool:
        return self.environment == "production"


def load_settings() -> Settings:
    default_origins = "http://localhost:{{ ports.frontend }},http://127.0.0.1:{{ ports.frontend }}"
    environment = os.getenv("APP_ENV", "development")
    secret_key = os.getenv("SECRET_KEY", "")
    if not secret_key:
        if environment == "production":
            raise RuntimeError("SECRET_KEY must be set in production")
        secret_key = "dev-only-insecure-secret-key-change-me"
    return Settings(
        environment=environment,
        database_url=os.getenv("DATABASE_URL", "sqlite:///./{{ py_name }}.db"),
        cors_origins=_split(os.getenv("CORS_ORIGINS", default_origins)),
        secret_key=secret_key,
    )


settings = load_settings()
