"""The dataset: loading, cleaning and validation, and turning rows into features."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.data import Dataset, clean_rows, load_dataset, read_csv, write_csv
from app.features import FeatureError, feature_ranges, out_of_range, to_matrix


def tiny(features: list[list[float]], labels: list[int]) -> Dataset:
    return Dataset(np.array(features, dtype=float), np.array(labels), ["a", "b"], ["x", "y"])


def test_the_sample_dataset_is_valid() -> None:
    data = load_dataset()
    data.validate()
    assert len(data) == 150
    assert data.features.shape == (150, 4)
    assert data.class_names == ["setosa", "versicolor", "virginica"]
    assert sorted(set(data.labels.tolist())) == [0, 1, 2]


def test_a_csv_round_trip_keeps_the_data(tmp_path: Path) -> None:
    data = load_dataset()
    path = tmp_path / "sample.csv"
    write_csv(data, path)
    again, report = read_csv(path)
    assert report.kept == 149  # the sample holds one flower twice
    assert report.dropped == {"duplicate": 1}
    assert again.feature_names == data.feature_names
    assert again.class_names == data.class_names
    assert load_dataset(path).features.shape == (149, 4)


def test_cleaning_drops_bad_rows_and_says_why() -> None:
    rows = [
        ["1.0", "2.0", "x"],
        ["1.5", "", "x"],  # missing value
        ["abc", "2.0", "y"],  # not a number
        ["3.0", "4.0"],  # a column short
        ["3.0", "4.0", ""],  # no label
        ["1.0", "2.0", "x"],  # duplicate
        ["3.0", "nan", "y"],  # not finite
        [],  # blank line
        ["3.5", "4.5", "y"],
    ]
    data, report = clean_rows(["a", "b", "label"], rows)
    assert data.features.tolist() == [[1.0, 2.0], [3.5, 4.5]]
    assert [data.class_names[i] for i in data.labels] == ["x", "y"]
    assert report.kept == 2
    assert report.dropped == {
        "missing or non-numeric value": 3,
        "wrong number of columns": 1,
        "missing label": 1,
        "duplicate": 1,
    }
    assert report.dropped_total == 6


def test_a_csv_without_a_label_column_is_refused() -> None:
    with pytest.raises(ValueError, match="'label' column"):
        clean_rows(["a", "b"], [["1", "2"]])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (tiny([[1.0, np.nan], [2.0, 3.0]], [0, 1]), "missing or infinite"),
        (tiny([[1.0, 2.0], [2.0, 3.0]], [0]), "2 rows of features but 1 labels"),
        (tiny([[1.0, 2.0], [2.0, 3.0]], [0, 0]), "at least two classes"),
        (tiny([[1.0, 2.0], [2.0, 3.0], [4.0, 5.0]], [0, 0, 1]), "at least two examples: y"),
        (tiny([[1.0, 2.0], [2.0, 3.0]], [0, 5]), "does not name one of the classes"),
    ],
)
def test_data_that_cannot_be_trained_on_is_refused(data: Dataset, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        data.validate()


def test_rows_become_features_by_position_or_by_name() -> None:
    names = ["a", "b"]
    matrix = to_matrix([[1, 2], {"b": 4.0, "a": 3.0}], names)
    assert matrix.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(FeatureError, match="instance 0 has 3 features; the model needs 2"):
        to_matrix([[1, 2, 3]], names)
    with pytest.raises(FeatureError, match="missing b; unknown c"):
        to_matrix([{"a": 1.0, "c": 2.0}], names)


def test_feature_ranges_widen_the_data_and_stay_non_negative() -> None:
    data = tiny([[1.0, -2.0], [3.0, 2.0], [2.0, 0.0], [1.5, 1.0]], [0, 0, 1, 1])
    low_a, low_b = feature_ranges(data)
    assert (low_a.low, low_a.high) == (0.0, 5.0)  # span 2: [1-2, 3+2], floored at 0
    assert (low_b.low, low_b.high) == (-6.0, 6.0)  # span 4, negative in the data
    matrix = to_matrix([[2.0, 0.0], [9.0, 0.0]], data.feature_names)
    assert out_of_range(matrix, [low_a, low_b]) == ["instance 1: a = 9 is outside [0, 5]"]
