"""The FastAPI application: health, the model's description, and predictions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Request
from fastapi.middleware.cors import CORSMiddleware

from . import __version__
from .config import get_settings
from .model import TrainedModel, load_or_train
from .schemas import ModelInfo, PredictRequest, PredictResponse

APP_NAME = {{ name | tojson }}
APP_DESCRIPTION = {{ idea | tojson }}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.model = load_or_train(get_settings().model_path)
    yield


def model_of(request: Request) -> TrainedModel:
    model: TrainedModel | None = getattr(request.app.state, "model", None)
    if model is None:
        raise HTTPException(status_code=503, detail="the model is not loaded yet")
    return model


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(
        title=APP_NAME,
        description=APP_DESCRIPTION,
        version=__version__,
        lifespan=lifespan,
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST"],
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

    @app.get("/model", response_model=ModelInfo, tags=["model"])
    def model_info(request: Request) -> ModelInfo:
        """The features the model expects, its classes and its held-out accuracy."""
        model = model_of(request)
        return ModelInfo(
            features=model.feature_names,
            classes=model.class_names,
            accuracy=model.accuracy,
            version=model.version,
            trained_at=model.trained_at,
        )

    @app.post("/predict", response_model=PredictResponse, tags=["model"])
    def predict(body: PredictRequest, request: Request) -> PredictResponse:
        """Classifies each row of features."""
        model = model_of(request)
        expected = len(model.feature_names)
        for index, row in enumerate(body.instances):
            if len(row) != expected:
                raise HTTPException(
                    status_code=422,
                    detail=f"instance {index} has {len(row)} features; the model needs {expected}: "
                    + ", ".join(model.feature_names),
                )
        return PredictResponse(predictions=model.predict(body.instances), model_version=model.version)

    return app


app = create_app()
