"""Pages over a `select()`: one query for the items and one to count them."""

from __future__ import annotations

from flask_smorest import Page
from sqlalchemy import Select, func, select

from api.database import db_session


class SelectPage(Page):
    """`collection` is a `select()` with a stable order (ending in a unique column)."""

    @property
    def items(self) -> list:
        query: Select = self.collection
        params = self.page_params
        return list(db_session().scalars(query.limit(params.page_size).offset(params.first_item)))

    @property
    def item_count(self) -> int:
        query: Select = self.collection
        return db_session().scalar(select(func.count()).select_from(query.order_by(None).subquery()))
