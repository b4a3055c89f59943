from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from datalinks.models.base import (
    ID_LENGTH,
    KEY_MAX,
    NAME_MAX,
    ArchivableMixin,
    Base,
    IdMixin,
    TimestampMixin,
)


class Connection(IdMixin, TimestampMixin, ArchivableMixin, Base):
    """One customer's link to one integration (no credentials: datalinks runs no connector)."""

    __tablename__ = "connections"
    __table_args__ = (
        Index(
            "uq_connections_customer_id_key",
            "customer_id",
            "key",
            unique=True,
            postgresql_where=text("archived_at IS NULL"),
        ),
        Index("ix_connections_workspace_id_created_at_id", "workspace_id", "created_at", "id"),
        Index("ix_connections_customer_id_integration_id", "customer_id", "integration_id"),
        Index("ix_connections_integration_id", "integration_id"),
    )

    workspace_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False
    )
    customer_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("customers.id", ondelete="CASCADE"), nullable=False
    )
    integration_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("integrations.id", ondelete="CASCADE"), nullable=False
    )
    key: Mapped[str | None] = mapped_column(String(KEY_MAX))
    name: Mapped[str] = mapped_column(String(NAME_MAX), nullable=False)
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    is_test: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))

    @property
    def user_id(self) -> str:
        """Membrane names a connection's owner `userId` (and `tenantId`): the customer's id."""
        return self.customer_id

    @property
    def tenant_id(self) -> str:
        return self.customer_id
