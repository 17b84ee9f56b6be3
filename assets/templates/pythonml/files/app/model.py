"""The model: a scikit-learn pipeline trained on the dataset, saved and loaded with joblib."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from . import __version__
from .data import Dataset, load_dataset


@dataclass
class TrainedModel:
    """A fitted pipeline with what is needed to use and describe it."""

    pipeline: Pipeline
    feature_names: list[str]
    class_names: list[str]
    accuracy: float
    version: str = __version__
    trained_at: float = field(default_factory=time.time)

    def predict(self, rows: list[list[float]]) -> list[dict[str, object]]:
        """The most likely class and every class's probability, for each row."""
        features = np.asarray(rows, dtype=float)
        if features.ndim != 2 or features.shape[1] != len(self.feature_names):
            raise ValueError(f"each row needs {len(self.feature_names)} features")
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


def build_pipeline() -> Pipeline:
    return Pipeline(
        [
            ("scale", StandardScaler()),
            ("classify", LogisticRegression(max_iter=1000)),
        ]
    )


def train(data: Dataset | None = None, seed: int = 42) -> TrainedModel:
    """Fits the pipeline on 75% of the data and measures accuracy on the rest."""
    data = data or load_dataset()
    x_train, x_test, y_train, y_test = train_test_split(
        data.features, data.labels, test_size=0.25, random_state=seed, stratify=data.labels
    )
    pipeline = build_pipeline()
    pipeline.fit(x_train, y_train)
    accuracy = float(accuracy_score(y_test, pipeline.predict(x_test)))
    return TrainedModel(pipeline, data.feature_names, data.class_names, accuracy)


def save(model: TrainedModel, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, path)


def load(path: Path) -> TrainedModel:
    """Loads a model this project saved. joblib runs pickle: never load a file from elsewhere."""
    model = joblib.load(path)
    if not isinstance(model, TrainedModel):
        raise TypeError(f"{path} does not hold a TrainedModel")
    return model


def load_or_train(path: Path) -> TrainedModel:
    """The saved model, or a newly trained one (saved for next time)."""
    if path.exists():
        return load(path)
    model = train()
    save(model, path)
    return model
