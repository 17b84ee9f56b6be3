from fastapi.testclient import TestClient

from app.main import APP_NAME, app

FRONTEND_ORIGIN = "http://localhost:{{ ports.frontend }}"


def test_health_reports_ok() -> None:
    with TestClient(app) as client:
        response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_root_names_the_service() -> None:
    with TestClient(app) as client:
        body = client.get("/").json()
    assert body["name"] == APP_NAME == {{ name | tojson }}
    assert body["docs"] == "/docs"


def test_cors_allows_the_frontend() -> None:
    with TestClient(app) as client:
        response = client.options(
            "/health",
            headers={"Origin": FRONTEND_ORIGIN, "Access-Control-Request-Method": "GET"},
        )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == FRONTEND_ORIGIN
