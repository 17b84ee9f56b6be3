"""The model: a scikit-learn pipeline trained on the dataset, saved and loaded with joblib."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from . import __version__
from .data import Dataset, load_dataset
from .features import FeatureRange, Row, feature_ranges, to_matrix

# Bumped when TrainedModel changes shape: an older file is retrained rather than used.
MODEL_FORMAT = 2


class IncompatibleModelError(TypeError):
    """The file holds a model saved by another version of this project."""


@dataclass
class TrainedModel:
    """A fitted pipeline with what is needed to use and describe it."""

    pipeline: Pipeline
    feature_names: list[str]
    class_names: list[str]
    metrics: dict[str, float]
    ranges: list[FeatureRange]
    version: str = __version__
    trained_at: float = field(default_factory=time.time)
    format: int = MODEL_FORMAT

    @property
    def accuracy(self) -> float:
        return self.metrics["accuracy"]

    def predict_matrix(self, features: np.ndarray) -> list[dict[str, object]]:
        """The most likely class and every class's probability, for each row (one batch call)."""
        results = []
        for probabilities in self.pipeline.predict_proba(features):
            best = int(np.argmax(probabilities))
            results.append(
                {
                    "label": self.class_names[best],
                    "probabilities": {
                        name: round(float(p), 6)
                        for name, p in zip(self.class_names, probabilities, strict=True)
                    },
                }
            )
        return results

    def predict(self, rows: Sequence[Row]) -> list[dict[str, object]]:
        """Predictions for rows given as lists (in feature order) or mappings by feature name."""
        return self.predict_matrix(to_matrix(rows, self.feature_names))


def build_pipeline(seed: int = 42) -> Pipeline:
    return Pipeline(
        [
            ("scale", StandardScaler()),
            ("classify", LogisticRegression(max_iter=500, random_state=seed)),
        ]
    )


def train(data: Dataset | None = None, seed: int = 42, test_size: float = 0.25) -> TrainedModel:
    """Fits the pipeline on part of the data and measures it on the held-out rest."""
    data = data or load_dataset()
    data.validate()
    x_train, x_test, y_train, y_test = train_test_split(
        data.features, data.labels, test_size=test_size, random_state=seed, stratify=data.labels
    )
    pipeline = build_pipeline(seed)
    pipeline.fit(x_train, y_train)
    predicted = pipeline.predict(x_test)
    metrics = {
        "accuracy": round(float(accuracy_score(y_test, predicted)), 6),
        "macro_f1": round(float(f1_score(y_test, predicted, average="macro")), 6),
        "train_rows": float(len(y_train)),
        "test_rows": float(len(y_test)),
    }
    return TrainedModel(
        pipeline=pipeline,
        feature_names=list(data.feature_names),
        class_names=list(data.class_names),
        metrics=metrics,
        ranges=feature_ranges(data),
    )


def save(model: TrainedModel, path: Path) -> None:
    """Writes the model atomically: a reader never sees a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(handle)
    try:
        joblib.dump(model, temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load(path: Path) -> TrainedModel:
    """Loads a model this project saved. joblib runs pickle: never load a file from elsewhere."""
    model = joblib.load(path)
    if not isinstance(model, TrainedModel):
        raise TypeError(f"{path} does not hold a TrainedModel")
    if getattr(model, "format", None) != MODEL_FORMAT:
        raise IncompatibleModelError(f"{path} holds a model of an older format")
    return model


def load_or_train(path: Path) -> TrainedModel:
    """The saved model, or a newly trained one (saved for next time)."""
    if path.exists():
        try:
            return load(path)
        except IncompatibleModelError:
            pass  # saved by an older version: train again
    model = train()
    save(model, path)
    return model
