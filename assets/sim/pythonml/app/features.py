"""Turns request rows into the feature matrix the model takes, and knows each feature's range."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .data import Dataset

Row = Sequence[float] | Mapping[str, float]


class FeatureError(ValueError):
    """A row that cannot be turned into features; the message says which and why."""


@dataclass(frozen=True)
class FeatureRange:
    """The values a feature may take: the training data's range, widened by a margin."""

    name: str
    low: float
    high: float

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high


def feature_ranges(data: Dataset, margin: float = 1.0) -> list[FeatureRange]:
    """Each feature's range in `data`, widened by `margin` times its span on each side.

    A feature that is never negative in the data stays non-negative.
    """
    ranges = []
    for name, column in zip(data.feature_names, data.features.T, strict=True):
        low, high = float(column.min()), float(column.max())
        span = (high - low) or abs(high) or 1.0
        widened_low = low - margin * span
        if low >= 0:
            widened_low = max(widened_low, 0.0)
        ranges.append(FeatureRange(name, round(widened_low, 6), round(high + margin * span, 6)))
    return ranges


def to_matrix(rows: Sequence[Row], feature_names: Sequence[str]) -> np.ndarray:
    """A (rows x features) float matrix; a row is a list in feature order or a mapping by name."""
    matrix = np.empty((len(rows), len(feature_names)), dtype=float)
    for index, row in enumerate(rows):
        if isinstance(row, Mapping):
            missing = [name for name in feature_names if name not in row]
            unknown = sorted(set(row) - set(feature_names))
            if missing or unknown:
                problems = []
                if missing:
                    problems.append("missing " + ", ".join(missing))
                if unknown:
                    problems.append("unknown " + ", ".join(unknown))
                raise FeatureError(f"instance {index}: {'; '.join(problems)}")
            values = [row[name] for name in feature_names]
        else:
            values = list(row)
            if len(values) != len(feature_names):
                raise FeatureError(
                    f"instance {index} has {len(values)} features; the model needs "
                    f"{len(feature_names)}: {', '.join(feature_names)}"
                )
        try:
            matrix[index] = np.asarray(values, dtype=float)
        except (TypeError, ValueError) as error:
            raise FeatureError(f"instance {index}: every feature must be a number") from error
    if not np.isfinite(matrix).all():
        raise FeatureError("features must be finite numbers")
    return matrix


def out_of_range(matrix: np.ndarray, ranges: Sequence[FeatureRange]) -> list[str]:
    """One message per value outside its feature's range (empty when all are plausible)."""
    problems = []
    for index, row in enumerate(matrix):
        for value, allowed in zip(row.tolist(), ranges, strict=True):
            if value not in allowed:
                problems.append(
                    f"instance {index}: {allowed.name} = {value:g} is outside "
                    f"[{allowed.low:g}, {allowed.high:g}]"
                )
    return problems
