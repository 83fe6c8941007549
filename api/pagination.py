"""Pages over a `select()`: one query for the items and one to count them."""

from __future__ import annotations

from typing import Any

from flask_smorest.pagination import PaginationParameters
from sqlalchemy import Select, func, select

from api.database import db_session


def fetch_page(query: Select[Any], pagination: PaginationParameters) -> list[Any]:
    """The requested page of `query` (which must have a stable order); sets the total count.

    Handlers fetch the page themselves, rather than leaving it to the decorator, so that
    they can audit what was shown and commit before answering.
    """
    _count(query, pagination)
    return list(
        db_session()
        .scalars(query.limit(pagination.page_size).offset(pagination.first_item))
        .unique()
    )


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
