from pathlib import Path

import numpy as np
import pytest

from app.data import Dataset, load_dataset
from app.model import load, load_or_train, save, train


def test_training_beats_a_baseline() -> None:
    model = train()
    assert model.accuracy >= 0.8
    assert model.class_names == load_dataset().class_names


def test_predictions_name_a_class_with_probabilities() -> None:
    model = train()
    data = load_dataset()
    [result] = model.predict([data.features[0].tolist()])
    assert result["label"] in model.class_names
    assert sum(result["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)


def test_save_and_load_give_the_same_predictions(tmp_path: Path) -> None:
    model = train()
    path = tmp_path / "models" / "model.joblib"
    save(model, path)
    again = load(path)
    rows = load_dataset().features[:5].tolist()
    assert again.predict(rows) == model.predict(rows)
    assert load_or_train(path).trained_at == model.trained_at


def test_bad_data_is_refused() -> None:
    with pytest.raises(ValueError, match="missing or infinite"):
        Dataset(np.array([[1.0, np.nan]]), np.array([0]), ["a", "b"], ["x", "y"]).validate()
