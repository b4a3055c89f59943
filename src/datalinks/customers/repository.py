from __future__ import annotations

from typing import Any

from sqlalchemy import Select, event
from sqlalchemy.orm import Session

from datalinks.core.auth import forget_customer
from datalinks.core.pagination import PageParams
from datalinks.core.repository import ElementRepository, TextColumn
from datalinks.models import Customer, new_id


class CustomerRepository(ElementRepository[Customer]):
    model = Customer
    noun = "Customer"

    def scoped(self) -> Select[Customer]:
        stmt = super().scoped()
        if self.principal.customer_id is not None:
            stmt = stmt.where(Customer.id == self.principal.customer_id)
        return stmt

    def search_columns(self) -> tuple[TextColumn, ...]:
        return (Customer.name, Customer.internal_id)

    def key_column(self) -> TextColumn:
        return Customer.internal_id

    async def list_customers(
        self,
        params: PageParams,
        *,
        search: str | None,
        is_test: bool | None,
        is_active: bool | None,
        include_archived: bool,
    ) -> tuple[list[Customer], str | None]:
        # isActive=false means the archived ones; true (or not including archived) the live.
        stmt = self.listing(search=search, include_archived=include_archived or is_active is False)
        if is_active is False:
            stmt = stmt.where(Customer.archived_at.is_not(None))
        elif is_active is True:
            stmt = self.live(stmt)
        if is_test is not None:
            stmt = stmt.where(Customer.is_test.is_(is_test))
        return await self.page(stmt, params)

    def conflict_message(self) -> str:
        return "A live customer with this internalId already exists"

    async def create(self, values: dict[str, Any]) -> Customer:
        customer_id = new_id()
        values = {**values, "internal_id": values.get("internal_id") or customer_id}
        values["name"] = values.get("name") or values["internal_id"]
        customer = Customer(id=customer_id, workspace_id=self.principal.workspace_id, **values)
        return await self.add(customer)

    def _forget_tokens(self, customer: Customer) -> None:
        """Tokens of an archived or re-keyed customer stop working at once in this process: the
        cached id is dropped now and again after commit (a request between the two could have
        cached the row as it was before this transaction)."""
        customer_id = customer.id
        forget_customer(customer_id)

        def after_commit(_: Session) -> None:
            forget_customer(customer_id)

        event.listen(self.session.sync_session, "after_commit", after_commit, once=True)

    async def archive(self, element: Customer) -> None:
        self._forget_tokens(element)
        await super().archive(element)

    async def save(self, element: Customer, changes: dict[str, Any]) -> Customer:
        if "internal_id" in changes:
            self._forget_tokens(element)
        return await super().save(element, changes)
