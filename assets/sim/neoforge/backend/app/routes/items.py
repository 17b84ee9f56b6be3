"""/api/items: the signed-in user's items (create, list with pagination, read, update, delete)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from sqlalchemy.orm import Session

from .. import services
from ..db import get_session
from ..models import Item, User
from ..schemas import ItemCreate, ItemPage, ItemRead, ItemUpdate
from ..security import CurrentUser

router = APIRouter(prefix="/api/items", tags=["items"])

SessionDep = Annotated[Session, Depends(get_session)]

MAX_PAGE_SIZE = 100


def _owned_item(session: Session, item_id: int, user: User) -> Item:
    try:
        return services.get_item(session, item_id, user)
    except services.ItemNotFoundError as error:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=f"Item {item_id} not found"
        ) from error
    except services.NotOwnerError as error:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail=f"Item {item_id} belongs to another user"
        ) from error


@router.get("", response_model=ItemPage)
def list_items(
    user: CurrentUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
    done: bool | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Text the title contains")] = None,
) -> ItemPage:
    """The user's items, oldest first, `limit` at a time from `offset`."""
    items, total = services.list_items(
        session, user, limit=limit, offset=offset, done=done, search=q
    )
    return ItemPage(
        items=[ItemRead.model_validate(item) for item in items],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.post("", response_model=ItemRead, status_code=status.HTTP_201_CREATED)
def create_item(body: ItemCreate, user: CurrentUser, session: SessionDep) -> Item:
    return services.create_item(session, user, body)


@router.get("/{item_id}", response_model=ItemRead)
def read_item(item_id: int, user: CurrentUser, session: SessionDep) -> Item:
    return _owned_item(session, item_id, user)


@router.patch("/{item_id}", response_model=ItemRead)
def update_item(item_id: int, body: ItemUpdate, user: CurrentUser, session: SessionDep) -> Item:
    return services.update_item(session, _owned_item(session, item_id, user), body)


@router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_item(item_id: int, user: CurrentUser, session: SessionDep) -> Response:
    services.delete_item(session, _owned_item(session, item_id, user))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
