"""Request and response bodies of the API."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PredictRequest(BaseModel):
    """Rows of features to classify, in the order the model lists them (GET /model)."""

    instances: list[list[float]] = Field(min_length=1, max_length=1000)


class Prediction(BaseModel):
    label: str
    probabilities: dict[str, float]


class PredictResponse(BaseModel):
    predictions: list[Prediction]
    model_version: str


class ModelInfo(BaseModel):
    features: list[str]
    classes: list[str]
    accuracy: float
    version: str
    trained_at: float
