from __future__ import annotations

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from datalinks.models.base import KEY_MAX, TenantElement, listing_index, live_unique, reference


class Connection(TenantElement):
    """One customer's link to one integration (no credentials: datalinks runs no connector)."""

    __tablename__ = "connections"
    __table_args__ = (
        live_unique(__tablename__, "customer_id", "key"),
        listing_index(__tablename__),
        Index("ix_connections_customer_id_integration_id", "customer_id", "integration_id"),
        Index("ix_connections_integration_id", "integration_id"),
    )

    customer_id: Mapped[str] = reference("customers")
    integration_id: Mapped[str] = reference("integrations")
    key: Mapped[str | None] = mapped_column(String(KEY_MAX))

    @property
    def user_id(self) -> str:
        """Membrane names a connection's owner `userId` (and `tenantId`): the customer's id."""
        return self.customer_id

    @property
    def tenant_id(self) -> str:
        return self.customer_id
