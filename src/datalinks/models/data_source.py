from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, DateTime, Integer, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from datalinks.models.base import (
    KEY_MAX,
    ConnectionInstance,
    NamedElement,
    instance_indexes,
    named_element_indexes,
    reference,
)

DEFAULT_PULL_UPDATES_INTERVAL_SECONDS = 300
DEFAULT_FULL_SYNC_INTERVAL_SECONDS = 10_800


def interval_checks() -> tuple[CheckConstraint, ...]:
    """Membrane's floor for both intervals is a minute."""
    return (
        CheckConstraint("pull_updates_interval_seconds >= 60", name="pull_interval"),
        CheckConstraint("full_sync_interval_seconds >= 60", name="full_sync_interval"),
    )


class CollectionChoiceMixin:
    """Which collection to read; a data source's choice is its instances' default."""

    udm: Mapped[str | None] = mapped_column(String(KEY_MAX))
    collection_key: Mapped[str | None] = mapped_column(String(KEY_MAX))
    collection_parameters: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class DataSource(CollectionChoiceMixin, NamedElement):
    """Which external collection to read: universal (no integration) or integration-specific."""

    __tablename__ = "data_sources"
    # Keys are unique per integration, and among universal data sources (no integration).
    __table_args__ = (
        *named_element_indexes(__tablename__, "integration_id", nulls_not_distinct=True),
        *interval_checks(),
    )

    integration_id: Mapped[str | None] = reference("integrations", nullable=True)
    parent_id: Mapped[str | None] = reference("data_sources", nullable=True, ondelete="SET NULL")
    pull_updates_interval_seconds: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text(str(DEFAULT_PULL_UPDATES_INTERVAL_SECONDS))
    )
    full_sync_interval_seconds: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text(str(DEFAULT_FULL_SYNC_INTERVAL_SECONDS))
    )


class DataSourceInstance(CollectionChoiceMixin, ConnectionInstance):
    """A connection's own, editable copy of a data source's settings."""

    __tablename__ = "data_source_instances"
    __table_args__ = (*instance_indexes(__tablename__, "data_source_id"), *interval_checks())

    data_source_id: Mapped[str] = reference("data_sources")
    pull_updates_interval_seconds: Mapped[int] = mapped_column(Integer, nullable=False)
    full_sync_interval_seconds: Mapped[int] = mapped_column(Integer, nullable=False)
    subscribed_to: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    is_customized: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("false")
    )
    # The settings (column names) the connection chose itself: `setup` re-applies the data
    # source's current values to all the others.
    customized_fields: Mapped[list[str] | None] = mapped_column(JSONB)
    data_source_revision: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("1")
    )
    last_setup_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
