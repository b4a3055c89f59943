from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from datalinks.models.base import KEY_MAX, TenantElement, listing_index, live_unique


class Customer(TenantElement):
    """A workspace's own customer (Membrane's tenant); `internal_id` is the token's `id`."""

    __tablename__ = "customers"
    __table_args__ = (
        live_unique(__tablename__, "workspace_id", "internal_id"),
        listing_index(__tablename__),
    )

    internal_id: Mapped[str] = mapped_column(String(KEY_MAX), nullable=False)
    fields: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    credentials: Mapped[Any | None] = mapped_column(JSONB)
    last_active_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def is_active(self) -> bool:
        return self.archived_at is None
