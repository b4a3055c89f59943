from __future__ import annotations

from typing import Any

from sqlalchemy import Select

from datalinks.core.repository import ElementRepository
from datalinks.models import Customer, new_id


class CustomerRepository(ElementRepository[Customer]):
    model = Customer
    noun = "Customer"

    def scoped(self) -> Select[Customer]:
        stmt = super().scoped()
        if self.principal.customer_id is not None:
            stmt = stmt.where(Customer.id == self.principal.customer_id)
        return stmt

    def key_column(self) -> Any:
        return Customer.internal_id

    def conflict_message(self) -> str:
        return "A live customer with this internalId already exists"

    async def create(self, values: dict[str, Any]) -> Customer:
        customer_id = new_id()
        values = {**values, "internal_id": values.get("internal_id") or customer_id}
        values["name"] = values.get("name") or values["internal_id"]
        customer = Customer(id=customer_id, workspace_id=self.principal.workspace_id, **values)
        return await self.add(customer)
