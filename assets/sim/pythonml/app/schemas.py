"""Request and response bodies of the API (Pydantic v2, with field constraints)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

MAX_BATCH = 1000
MAX_FEATURES = 100

FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]

# One example: its features in the order GET /model lists them, or an object by name.
Instance = (
    Annotated[list[FiniteFloat], Field(min_length=1, max_length=MAX_FEATURES)]
    | Annotated[dict[str, FiniteFloat], Field(min_length=1, max_length=MAX_FEATURES)]
)


class PredictRequest(BaseModel):
    """Examples to classify, up to 1000 per request."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"instances": [[5.1, 3.5, 1.4, 0.2]]}]},
    )

    instances: list[Instance] = Field(min_length=1, max_length=MAX_BATCH)


class Prediction(BaseModel):
    label: str
    probabilities: dict[str, float]


class PredictResponse(BaseModel):
    predictions: list[Prediction]
    model_version: str


class FeatureInfo(BaseModel):
    name: str
    low: float = Field(description="The smallest value accepted")
    high: float = Field(description="The largest value accepted")


class ModelInfo(BaseModel):
    features: list[str]
    ranges: list[FeatureInfo]
    classes: list[str]
    accuracy: float
    metrics: dict[str, float]
    version: str
    trained_at: float
