from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String, text
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


class Customer(IdMixin, TimestampMixin, ArchivableMixin, Base):
    """A workspace's own customer (Membrane's tenant); `internal_id` is the token's `id`."""

    __tablename__ = "customers"
    __table_args__ = (
        Index(
            "uq_customers_workspace_id_internal_id",
            "workspace_id",
            "internal_id",
            unique=True,
            postgresql_where=text("archived_at IS NULL"),
        ),
        Index("ix_customers_workspace_id_created_at_id", "workspace_id", "created_at", "id"),
    )

    workspace_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False
    )
    internal_id: Mapped[str] = mapped_column(String(KEY_MAX), nullable=False)
    name: Mapped[str] = mapped_column(String(NAME_MAX), nullable=False)
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    fields: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    credentials: Mapped[Any | None] = mapped_column(JSONB)
    is_test: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    last_active_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def is_active(self) -> bool:
        return self.archived_at is None
