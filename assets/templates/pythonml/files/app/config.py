"""Settings, read from environment variables (see .env.example) each time they are asked for."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


@dataclass(frozen=True)
class Settings:
    environment: str
    model_path: Path
    cors_origins: list[str]

    @property
    def is_production(self) -> bool:
        return self.environment == "production"


def get_settings() -> Settings:
    return Settings(
        environment=os.getenv("APP_ENV", "development"),
        model_path=Path(os.getenv("MODEL_PATH", "models/model.joblib")),
        cors_origins=_split(os.getenv("CORS_ORIGINS", "http://localhost:{{ ports.api }}")),
    )
