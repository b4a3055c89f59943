from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from datalinks.models.base import (
    ID_LENGTH,
    KEY_MAX,
    NAME_MAX,
    TEXT_MAX,
    ArchivableMixin,
    Base,
    IdMixin,
    TimestampMixin,
)

DEFAULT_PULL_UPDATES_INTERVAL_SECONDS = 300
DEFAULT_FULL_SYNC_INTERVAL_SECONDS = 10_800


class DataSource(IdMixin, TimestampMixin, ArchivableMixin, Base):
    """Which external collection to read: universal (no integration) or integration-specific."""

    __tablename__ = "data_sources"
    __table_args__ = (
        Index(
            "uq_data_sources_workspace_id_integration_id_key",
            "workspace_id",
            "integration_id",
            "key",
            unique=True,
            postgresql_nulls_not_distinct=True,
            postgresql_where=text("archived_at IS NULL"),
        ),
        Index(
            "uq_data_sources_workspace_id_uuid",
            "workspace_id",
            "uuid",
            unique=True,
            postgresql_where=text("archived_at IS NULL"),
        ),
        Index("ix_data_sources_workspace_id_created_at_id", "workspace_id", "created_at", "id"),
        CheckConstraint("pull_updates_interval_seconds >= 60", name="pull_interval"),
        CheckConstraint("full_sync_interval_seconds >= 60", name="full_sync_interval"),
    )

    workspace_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False
    )
    integration_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("integrations.id", ondelete="CASCADE")
    )
    parent_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("data_sources.id", ondelete="SET NULL")
    )
    key: Mapped[str] = mapped_column(String(KEY_MAX), nullable=False)
    name: Mapped[str] = mapped_column(String(NAME_MAX), nullable=False)
    uuid: Mapped[str] = mapped_column(String(KEY_MAX), nullable=False)
    description: Mapped[str | None] = mapped_column(String(TEXT_MAX))
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    udm: Mapped[str | None] = mapped_column(String(KEY_MAX))
    collection_key: Mapped[str | None] = mapped_column(String(KEY_MAX))
    collection_parameters: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    pull_updates_interval_seconds: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text(str(DEFAULT_PULL_UPDATES_INTERVAL_SECONDS))
    )
    full_sync_interval_seconds: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text(str(DEFAULT_FULL_SYNC_INTERVAL_SECONDS))
    )
    revision: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("1"))


class DataSourceInstance(IdMixin, TimestampMixin, ArchivableMixin, Base):
    """A connection's own, editable copy of a data source's settings."""

    __tablename__ = "data_source_instances"
    __table_args__ = (
        Index(
            "uq_data_source_instances_slot",
            "data_source_id",
            "connection_id",
            "instance_key",
            unique=True,
            postgresql_nulls_not_distinct=True,
            postgresql_where=text("archived_at IS NULL"),
        ),
        Index(
            "ix_data_source_instances_workspace_id_created_at_id",
            "workspace_id",
            "created_at",
            "id",
        ),
        Index("ix_data_source_instances_connection_id", "connection_id"),
        Index("ix_data_source_instances_customer_id", "customer_id"),
        CheckConstraint("pull_updates_interval_seconds >= 60", name="pull_interval"),
        CheckConstraint("full_sync_interval_seconds >= 60", name="full_sync_interval"),
    )

    workspace_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False
    )
    data_source_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("data_sources.id", ondelete="CASCADE"), nullable=False
    )
    connection_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("connections.id", ondelete="CASCADE"), nullable=False
    )
    customer_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("customers.id", ondelete="CASCADE"), nullable=False
    )
    integration_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("integrations.id", ondelete="CASCADE"), nullable=False
    )
    instance_key: Mapped[str | None] = mapped_column(String(KEY_MAX))
    udm: Mapped[str | None] = mapped_column(String(KEY_MAX))
    collection_key: Mapped[str | None] = mapped_column(String(KEY_MAX))
    collection_parameters: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    pull_updates_interval_seconds: Mapped[int] = mapped_column(Integer, nullable=False)
    full_sync_interval_seconds: Mapped[int] = mapped_column(Integer, nullable=False)
    subscribed_to: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    is_customized: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("false")
    )
    # The settings (column names) the connection chose itself: `setup` re-applies the data
    # source's current values to all the others.
    customized_fields: Mapped[list[str] | None] = mapped_column(JSONB)
    revision: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("1"))
    data_source_revision: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("1")
    )
    last_setup_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
