"""The training data. Replace the sample dataset with the startup's own, keeping this shape."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.datasets import load_iris


@dataclass(frozen=True)
class Dataset:
    """Features (one row per example), labels (class indexes) and their names."""

    features: np.ndarray
    labels: np.ndarray
    feature_names: list[str]
    class_names: list[str]

    def validate(self) -> None:
        """Raises ValueError when the data cannot be trained on."""
        if self.features.ndim != 2 or len(self.features) == 0:
            raise ValueError("the features must be a non-empty table")
        if len(self.features) != len(self.labels):
            raise ValueError(
                f"{len(self.features)} rows of features but {len(self.labels)} labels"
            )
        if self.features.shape[1] != len(self.feature_names):
            raise ValueError("every feature needs a name")
        if not np.isfinite(self.features).all():
            raise ValueError("the features hold missing or infinite values")
        if len(set(self.labels.tolist())) < 2:
            raise ValueError("training needs at least two classes")


def load_dataset() -> Dataset:
    """The sample dataset bundled with scikit-learn (no download): iris flowers."""
    iris = load_iris()
    data = Dataset(
        features=np.asarray(iris.data, dtype=float),
        labels=np.asarray(iris.target),
        feature_names=[str(name) for name in iris.feature_names],
        class_names=[str(name) for name in iris.target_names],
    )
    data.validate()
    return data
