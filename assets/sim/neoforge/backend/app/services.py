"""The items' business rules: listing with filters and pagination, ownership, changes."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import Item, User
from .schemas import ItemCreate, ItemUpdate


class ItemNotFoundError(LookupError):
    """No item has this id."""


class NotOwnerError(PermissionError):
    """The item belongs to another user."""


def list_items(
    session: Session,
    owner: User,
    *,
    limit: int = 20,
    offset: int = 0,
    done: bool | None = None,
    search: str | None = None,
) -> tuple[list[Item], int]:
    """One page of the owner's items, oldest first, and how many match in total."""
    query = select(Item).where(Item.owner_id == owner.id)
    if done is not None:
        query = query.where(Item.done == done)
    if search:
        query = query.where(Item.title.icontains(search, autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Item.id).limit(limit).offset(offset)).all()
    return list(rows), total


def get_item(session: Session, item_id: int, user: User) -> Item:
    """The item, if it exists and belongs to `user`."""
    item = session.get(Item, item_id)
    if item is None:
        raise ItemNotFoundError(item_id)
    if item.owner_id != user.id:
        raise NotOwnerError(item_id)
    return item


def create_item(session: Session, owner: User, data: ItemCreate) -> Item:
    item = Item(owner_id=owner.id, **data.model_dump())
    session.add(item)
    session.commit()
    session.refresh(item)
    return item


def update_item(session: Session, item: Item, data: ItemUpdate) -> Item:
    """Applies the fields present in the request; the others are left as they are."""
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(item, field, value)
    session.commit()
    session.refresh(item)
    return item


def delete_item(session: Session, item: Item) -> None:
    session.delete(item)
    session.commit()
