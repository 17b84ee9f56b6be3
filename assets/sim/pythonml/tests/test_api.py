"""The API: health, the model's description, predictions, and 422 for bad input."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import APP_NAME, create_app

SETOSA = [5.1, 3.5, 1.4, 0.2]
VIRGINICA = [6.7, 3.0, 5.2, 2.3]


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("MODEL_PATH", str(tmp_path / "model.joblib"))
    with TestClient(create_app()) as client:
        yield client


def test_health_reports_ok(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_root_names_the_service(client: TestClient) -> None:
    body = client.get("/").json()
    assert body["name"] == APP_NAME
    assert body["docs"] == "/docs"


def test_startup_trains_and_saves_the_model(client: TestClient, tmp_path: Path) -> None:
    assert (tmp_path / "model.joblib").exists()


def test_the_model_describes_its_features(client: TestClient) -> None:
    info = client.get("/model").json()
    assert len(info["features"]) == 4
    assert [r["name"] for r in info["ranges"]] == info["features"]
    assert all(r["low"] < r["high"] for r in info["ranges"])
    assert info["classes"] == ["setosa", "versicolor", "virginica"]
    assert info["accuracy"] >= 0.85
    assert info["metrics"]["accuracy"] == info["accuracy"]


def test_predict_classifies_each_instance(client: TestClient) -> None:
    response = client.post("/predict", json={"instances": [SETOSA, VIRGINICA]})
    assert response.status_code == 200
    body = response.json()
    assert [p["label"] for p in body["predictions"]] == ["setosa", "virginica"]
    assert body["model_version"]
    for prediction in body["predictions"]:
        assert sum(prediction["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)


def test_predict_takes_instances_by_feature_name(client: TestClient) -> None:
    names = client.get("/model").json()["features"]
    by_name = dict(zip(names, VIRGINICA, strict=True))
    response = client.post("/predict", json={"instances": [by_name]})
    assert response.status_code == 200
    assert response.json()["predictions"][0]["label"] == "virginica"


def test_predict_answers_a_batch_in_order(client: TestClient) -> None:
    batch = [SETOSA, VIRGINICA] * 50
    response = client.post("/predict", json={"instances": batch})
    assert response.status_code == 200
    labels = [p["label"] for p in response.json()["predictions"]]
    assert labels == ["setosa", "virginica"] * 50


def test_predict_refuses_the_wrong_number_of_features(client: TestClient) -> None:
    response = client.post("/predict", json={"instances": [[1.0, 2.0]]})
    assert response.status_code == 422
    assert "instance 0 has 2 features; the model needs 4" in response.json()["detail"]


def test_predict_refuses_unknown_or_missing_feature_names(client: TestClient) -> None:
    response = client.post("/predict", json={"instances": [{"colour": 1.0}]})
    assert response.status_code == 422
    assert "unknown colour" in response.json()["detail"]


def test_predict_refuses_out_of_range_values(client: TestClient) -> None:
    response = client.post("/predict", json={"instances": [SETOSA, [5.1, 3.5, 1.4, -0.2]]})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith("instance 1: petal width (cm) = -0.2 is outside [0, ")
    huge = client.post("/predict", json={"instances": [[500.0, 3.5, 1.4, 0.2]]})
    assert huge.status_code == 422
    assert "sepal length (cm) = 500" in huge.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"instances": []},
        {"instances": [["a", 1.0, 2.0, 3.0]]},
        {"instances": [[]]},
        {"instances": [SETOSA] * 1001},
        {"rows": [SETOSA]},
        {"instances": [SETOSA], "extra": 1},
        {"instances": "5.1,3.5,1.4,0.2"},
    ],
    ids=["empty", "text", "empty-row", "too-many", "wrong-key", "extra-key", "not-a-list"],
)
def test_predict_refuses_malformed_requests(client: TestClient, body: dict) -> None:
    response = client.post("/predict", json=body)
    assert response.status_code == 422
    assert response.json()["detail"]


def test_predict_refuses_non_finite_numbers(client: TestClient) -> None:
    response = client.post(
        "/predict",
        content='{"instances": [[NaN, 3.5, 1.4, 0.2]]}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
