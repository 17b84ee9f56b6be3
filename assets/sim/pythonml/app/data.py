"""The training data: loading, validating and cleaning it.

Without a data file, the model trains on scikit-learn's bundled iris sample (no download).
The startup's own data is a CSV file: a header row naming the feature columns and one
`label` column, then one example per row (see `read_csv`).
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.datasets import load_iris

LABEL_COLUMN = "label"


@dataclass(frozen=True)
class Dataset:
    """Features (one row per example), labels (class indexes) and their names."""

    features: np.ndarray
    labels: np.ndarray
    feature_names: list[str]
    class_names: list[str]

    def __len__(self) -> int:
        return len(self.labels)

    def validate(self) -> None:
        """Raises ValueError when the data cannot be trained on."""
        if self.features.ndim != 2 or len(self.features) == 0:
            raise ValueError("the features must be a non-empty table")
        if len(self.features) != len(self.labels):
            raise ValueError(f"{len(self.features)} rows of features but {len(self.labels)} labels")
        if self.features.shape[1] != len(self.feature_names):
            raise ValueError("every feature needs a name")
        if len(set(self.feature_names)) != len(self.feature_names):
            raise ValueError("feature names must be unique")
        if not np.isfinite(self.features).all():
            raise ValueError("the features hold missing or infinite values")
        if len(self.labels) and (
            self.labels.min() < 0 or self.labels.max() >= len(self.class_names)
        ):
            raise ValueError("a label does not name one of the classes")
        counts = Counter(self.labels.tolist())
        if len(counts) < 2:
            raise ValueError("training needs at least two classes")
        if min(counts.values()) < 2:
            rare = [self.class_names[c] for c, n in counts.items() if n < 2]
            raise ValueError(f"every class needs at least two examples: {', '.join(rare)}")


@dataclass
class CleaningReport:
    """What cleaning kept, and why it dropped the other rows (by reason)."""

    kept: int = 0
    dropped: Counter[str] = field(default_factory=Counter)

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())


def clean_rows(
    header: Sequence[str], rows: Iterable[Sequence[str]]
) -> tuple[Dataset, CleaningReport]:
    """Turns text rows into a Dataset, dropping rows that are incomplete, non-numeric or repeated."""
    names = [name.strip() for name in header]
    if LABEL_COLUMN not in names:
        raise ValueError(f"the header needs a {LABEL_COLUMN!r} column; it has {', '.join(names)}")
    label_at = names.index(LABEL_COLUMN)
    feature_names = [name for i, name in enumerate(names) if i != label_at]
    if not feature_names or any(not name for name in feature_names):
        raise ValueError("every feature column needs a name")

    report = CleaningReport()
    seen: set[tuple[tuple[float, ...], str]] = set()
    features: list[list[float]] = []
    labels: list[str] = []
    for row in rows:
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue  # blank line
        if len(cells) != len(names):
            report.dropped["wrong number of columns"] += 1
            continue
        label = cells[label_at]
        if not label:
            report.dropped["missing label"] += 1
            continue
        try:
            values = [float(cell) for i, cell in enumerate(cells) if i != label_at]
        except ValueError:
            report.dropped["missing or non-numeric value"] += 1
            continue
        if not all(math.isfinite(v) for v in values):
            report.dropped["missing or non-numeric value"] += 1
            continue
        key = (tuple(values), label)
        if key in seen:
            report.dropped["duplicate"] += 1
            continue
        seen.add(key)
        features.append(values)
        labels.append(label)

    class_names = sorted(set(labels))
    index = {name: i for i, name in enumerate(class_names)}
    report.kept = len(features)
    data = Dataset(
        features=np.asarray(features, dtype=float).reshape(len(features), len(feature_names)),
        labels=np.asarray([index[label] for label in labels], dtype=int),
        feature_names=feature_names,
        class_names=class_names,
    )
    return data, report


def read_csv(path: Path) -> tuple[Dataset, CleaningReport]:
    """Reads, cleans and validates a CSV file (see the module's docstring for its shape)."""
    with path.open(newline="", encoding="utf-8") as file:
        reader = csv.reader(file)
        header = next(reader, None)
        if header is None:
            raise ValueError(f"{path} is empty")
        data, report = clean_rows(header, reader)
    data.validate()
    return data, report


def write_csv(data: Dataset, path: Path) -> None:
    """Writes the dataset in the shape `read_csv` reads (to export a sample, for example)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow([*data.feature_names, LABEL_COLUMN])
        for row, label in zip(data.features.tolist(), data.labels.tolist(), strict=True):
            writer.writerow([*(repr(v) for v in row), data.class_names[label]])


def sample_dataset() -> Dataset:
    """The sample bundled with scikit-learn: 150 iris flowers, 4 measurements, 3 species."""
    iris = load_iris()
    return Dataset(
        features=np.asarray(iris.data, dtype=float),
        labels=np.asarray(iris.target, dtype=int),
        feature_names=[str(name) for name in iris.feature_names],
        class_names=[str(name) for name in iris.target_names],
    )


def load_dataset(path: Path | None = None) -> Dataset:
    """The CSV file at `path` if given, else the bundled sample; validated either way."""
    if path is not None:
        return read_csv(path)[0]
    data = sample_dataset()
    data.validate()
    return data
