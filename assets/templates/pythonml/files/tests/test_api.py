from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import APP_NAME, create_app


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
    assert client.get("/").json()["name"] == APP_NAME == {{ name | tojson }}


def test_the_model_describes_its_features(client: TestClient) -> None:
    info = client.get("/model").json()
    assert len(info["features"]) == 4
    assert info["accuracy"] >= 0.8


def test_predict_classifies_each_instance(client: TestClient) -> None:
    response = client.post("/predict", json={"instances": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]})
    assert response.status_code == 200
    labels = [p["label"] for p in response.json()["predictions"]]
    assert labels == ["setosa", "virginica"]


def test_predict_refuses_the_wrong_number_of_features(client: TestClient) -> None:
    response = client.post("/predict", json={"instances": [[1.0, 2.0]]})
    assert response.status_code == 422
    assert "the model needs 4" in response.json()["detail"]


def test_predict_refuses_an_empty_request(client: TestClient) -> None:
    assert client.post("/predict", json={"instances": []}).status_code == 422
