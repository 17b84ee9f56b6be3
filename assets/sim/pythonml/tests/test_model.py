"""The model: held-out accuracy, predictions, and the save and load round trip."""

from __future__ import annotations

from pathlib import Path

import joblib
import pytest

from app.data import load_dataset
from app.model import MODEL_FORMAT, load, load_or_train, save, train
from app.train import main as train_main


@pytest.fixture(scope="module")
def model():
    return train()


def test_training_beats_a_baseline(model) -> None:
    data = load_dataset()
    majority = max(data.labels.tolist().count(c) for c in set(data.labels.tolist())) / len(data)
    assert model.accuracy >= 0.85 > majority
    assert model.metrics["macro_f1"] >= 0.85
    assert model.metrics["train_rows"] + model.metrics["test_rows"] == len(data)
    assert model.class_names == data.class_names
    assert model.format == MODEL_FORMAT


def test_training_is_reproducible(model) -> None:
    again = train(seed=42)
    assert again.metrics == model.metrics
    rows = load_dataset().features[:10].tolist()
    assert again.predict(rows) == model.predict(rows)


def test_predictions_name_a_class_with_probabilities(model) -> None:
    data = load_dataset()
    first_of_each = [data.features[data.labels.tolist().index(c)].tolist() for c in range(3)]
    results = model.predict(first_of_each)
    assert [r["label"] for r in results] == data.class_names
    for result in results:
        assert set(result["probabilities"]) == set(model.class_names)
        assert sum(result["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)
        assert result["probabilities"][result["label"]] == max(result["probabilities"].values())


def test_save_and_load_give_the_same_predictions(model, tmp_path: Path) -> None:
    path = tmp_path / "models" / "model.joblib"
    save(model, path)
    again = load(path)
    rows = load_dataset().features[:5].tolist()
    assert again.predict(rows) == model.predict(rows)
    assert load_or_train(path).trained_at == model.trained_at
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


def test_load_or_train_trains_when_there_is_no_file(tmp_path: Path) -> None:
    path = tmp_path / "model.joblib"
    model = load_or_train(path)
    assert path.exists()
    assert load(path).trained_at == model.trained_at


def test_a_file_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.joblib"
    joblib.dump({"not": "a model"}, path)
    with pytest.raises(TypeError, match="does not hold a TrainedModel"):
        load(path)


def test_an_older_model_is_retrained(model, tmp_path: Path) -> None:
    path = tmp_path / "model.joblib"
    model.format = MODEL_FORMAT - 1
    try:
        save(model, path)
    finally:
        model.format = MODEL_FORMAT
    assert load_or_train(path).format == MODEL_FORMAT
    assert load(path).format == MODEL_FORMAT


def test_the_training_command_saves_a_model(tmp_path: Path, capsys) -> None:
    out = tmp_path / "trained.joblib"
    assert train_main(["--out", str(out), "--seed", "7"]) == 0
    assert load(out).accuracy >= 0.8
    assert "saved to" in capsys.readouterr().out
    refused = tmp_path / "refused.joblib"
    assert train_main(["--out", str(refused), "--min-accuracy", "1.01"]) == 1
    assert not refused.exists()
