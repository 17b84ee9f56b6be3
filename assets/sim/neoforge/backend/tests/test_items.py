"""The items API: CRUD, validation, pagination and permissions."""

from __future__ import annotations

from fastapi.testclient import TestClient

AuthHeaders = dict[str, str]


def create(client: TestClient, headers: AuthHeaders, title: str, **fields: object) -> dict:
    response = client.post("/api/items", json={"title": title, **fields}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_items_need_a_signed_in_user(client: TestClient) -> None:
    assert client.get("/api/items").status_code == 401
    assert client.post("/api/items", json={"title": "Nope"}).status_code == 401


def test_create_and_read_an_item(client: TestClient, alice: AuthHeaders) -> None:
    me = client.get("/api/auth/me", headers=alice).json()
    item = create(client, alice, "  Write the pitch  ", description="Ten slides")
    assert item["title"] == "Write the pitch"
    assert item["description"] == "Ten slides"
    assert item["done"] is False
    assert item["owner_id"] == me["id"]
    again = client.get(f"/api/items/{item['id']}", headers=alice)
    assert again.status_code == 200
    assert again.json() == item


def test_a_new_user_has_no_items(client: TestClient, alice: AuthHeaders) -> None:
    page = client.get("/api/items", headers=alice).json()
    assert page == {"items": [], "total": 0, "limit": 20, "offset": 0}


def test_the_list_is_paginated(client: TestClient, alice: AuthHeaders) -> None:
    for n in range(5):
        create(client, alice, f"Item {n}")
    page = client.get("/api/items", params={"limit": 2, "offset": 2}, headers=alice).json()
    assert page["total"] == 5
    assert (page["limit"], page["offset"]) == (2, 2)
    assert [item["title"] for item in page["items"]] == ["Item 2", "Item 3"]
    last = client.get("/api/items", params={"limit": 2, "offset": 4}, headers=alice).json()
    assert [item["title"] for item in last["items"]] == ["Item 4"]


def test_the_list_filters_by_state_and_text(client: TestClient, alice: AuthHeaders) -> None:
    create(client, alice, "Buy a domain", done=True)
    create(client, alice, "Hire a designer")
    create(client, alice, "Buy a laptop")
    done = client.get("/api/items", params={"done": True}, headers=alice).json()
    assert [item["title"] for item in done["items"]] == ["Buy a domain"]
    found = client.get("/api/items", params={"q": "buy"}, headers=alice).json()
    assert found["total"] == 2


def test_update_changes_only_the_given_fields(client: TestClient, alice: AuthHeaders) -> None:
    item = create(client, alice, "Draft", description="keep me")
    response = client.patch(f"/api/items/{item['id']}", json={"done": True}, headers=alice)
    assert response.status_code == 200
    updated = response.json()
    assert updated["done"] is True
    assert updated["title"] == "Draft"
    assert updated["description"] == "keep me"


def test_delete_removes_the_item(client: TestClient, alice: AuthHeaders) -> None:
    item = create(client, alice, "Short-lived")
    assert client.delete(f"/api/items/{item['id']}", headers=alice).status_code == 204
    assert client.get(f"/api/items/{item['id']}", headers=alice).status_code == 404
    assert client.get("/api/items", headers=alice).json()["total"] == 0


def test_a_missing_item_is_404(client: TestClient, alice: AuthHeaders) -> None:
    response = client.get("/api/items/9999", headers=alice)
    assert response.status_code == 404
    assert response.json()["detail"] == "Item 9999 not found"
    assert client.patch("/api/items/9999", json={"done": True}, headers=alice).status_code == 404
    assert client.delete("/api/items/9999", headers=alice).status_code == 404


def test_invalid_items_are_refused(client: TestClient, alice: AuthHeaders) -> None:
    for body in (
        {},
        {"title": ""},
        {"title": "   "},
        {"title": "x" * 201},
        {"title": "ok", "done": "maybe"},
    ):
        response = client.post("/api/items", json=body, headers=alice)
        assert response.status_code == 422, body
    item = create(client, alice, "Valid")
    response = client.patch(f"/api/items/{item['id']}", json={"title": None}, headers=alice)
    assert response.status_code == 422
    assert client.get(f"/api/items/{item['id']}", headers=alice).json()["title"] == "Valid"


def test_invalid_pagination_is_refused(client: TestClient, alice: AuthHeaders) -> None:
    for params in ({"limit": 0}, {"limit": 101}, {"offset": -1}):
        assert client.get("/api/items", params=params, headers=alice).status_code == 422, params


def test_another_users_item_is_forbidden(
    client: TestClient, alice: AuthHeaders, bob: AuthHeaders
) -> None:
    item = create(client, alice, "Alice's secret plan")
    url = f"/api/items/{item['id']}"
    assert client.get(url, headers=bob).status_code == 403
    assert client.patch(url, json={"title": "Bob's now"}, headers=bob).status_code == 403
    assert client.delete(url, headers=bob).status_code == 403
    assert client.get("/api/items", headers=bob).json()["total"] == 0
    assert client.get(url, headers=alice).json()["title"] == "Alice's secret plan"
