"""Pages over a `select()`: one query for the items and one to count them."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_smorest.pagination import PaginationParameters
from sqlalchemy import Select, func, select

from api.database import db_session
from youthapp import audit


def fetch_page(
    query: Select[Any], pagination: PaginationParameters, *, audit_as: str | None = None
) -> list[Any]:
    """The requested page of `query` (which must have a stable order); sets the total count.

    With `audit_as` (an object type: "alert", "young_person", ...), a staff caller's sight
    of each record on the page is audited as it is fetched, so no list can forget to.
    """
    _count(query, pagination)
    page = list(
        db_session()
        .scalars(query.limit(pagination.page_size).offset(pagination.first_item))
        .unique()
    )
    if audit_as is not None:
        audit.staff_listed(db_session(), g.current_user, audit_as, page)
    return page


def fetch_rows(query: Select[Any], pagination: PaginationParameters) -> list[Any]:
    """The same for a query of several columns: the page as rows."""
    _count(query, pagination)
    return list(
        db_session().execute(query.limit(pagination.page_size).offset(pagination.first_item))
    )


def _count(query: Select[Any], pagination: PaginationParameters) -> None:
    pagination.item_count = db_session().scalar(
        select(func.count()).select_from(query.order_by(None).subquery())
    )
