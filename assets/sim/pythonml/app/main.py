"""The FastAPI application: health, the model's description, and batch predictions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from . import __version__
from .config import get_settings
from .features import FeatureError, out_of_range, to_matrix
from .model import TrainedModel, load_or_train
from .schemas import FeatureInfo, ModelInfo, Prediction, PredictRequest, PredictResponse

APP_NAME = "Simulated startup"
APP_DESCRIPTION = "A machine-learning service."

# At most this many problems are listed in one 422 answer.
MAX_PROBLEMS = 10


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.model = load_or_train(get_settings().model_path)
    yield


def model_of(request: Request) -> TrainedModel:
    model: TrainedModel | None = getattr(request.app.state, "model", None)
    if model is None:
        raise HTTPException(
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE, detail="the model is not loaded yet"
        )
    return model


def unprocessable(detail: str) -> HTTPException:
    return HTTPException(status_code=422, detail=detail)


async def validation_error(_request: Request, error: Exception) -> JSONResponse:
    """422 with FastAPI's usual `detail`, without echoing the input back: it may hold
    NaN or Infinity, which JSON cannot carry."""
    errors = error.errors() if isinstance(error, RequestValidationError) else []
    detail = [{key: value for key, value in e.items() if key != "input"} for e in errors]
    return JSONResponse(status_code=422, content={"detail": jsonable_encoder(detail)})


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(
        title=APP_NAME,
        description=APP_DESCRIPTION,
        version=__version__,
        lifespan=lifespan,
    )
    app.add_exception_handler(RequestValidationError, validation_error)
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
        """The features the model expects and their accepted ranges, its classes and metrics."""
        model = model_of(request)
        return ModelInfo(
            features=model.feature_names,
            ranges=[FeatureInfo(name=r.name, low=r.low, high=r.high) for r in model.ranges],
            classes=model.class_names,
            accuracy=model.accuracy,
            metrics=model.metrics,
            version=model.version,
            trained_at=model.trained_at,
        )

    @app.post("/predict", response_model=PredictResponse, tags=["model"])
    def predict(body: PredictRequest, request: Request) -> PredictResponse:
        """Classifies each instance; the whole batch goes through the model at once."""
        model = model_of(request)
        try:
            features = to_matrix(body.instances, model.feature_names)
        except FeatureError as error:
            raise unprocessable(str(error)) from error
        problems = out_of_range(features, model.ranges)
        if problems:
            more = len(problems) - MAX_PROBLEMS
            raise unprocessable(
                "; ".join(problems[:MAX_PROBLEMS]) + (f"; and {more} more" if more > 0 else "")
            )
        predictions = [Prediction.model_validate(p) for p in model.predict_matrix(features)]
        return PredictResponse(predictions=predictions, model_version=model.version)

    return app


app = create_app()
