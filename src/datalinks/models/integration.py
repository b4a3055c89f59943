from __future__ import annotations

from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from datalinks.models.base import (
    KEY_MAX,
    Base,
    IdMixin,
    NamedElement,
    NameMixin,
    TimestampMixin,
    named_element_indexes,
    reference,
)


class Integration(NamedElement):
    """Names an external app; there is no connector behind it, it scopes connections and sources."""

    __tablename__ = "integrations"
    __table_args__ = named_element_indexes(__tablename__)

    parameters: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    logo_uri: Mapped[str | None] = mapped_column(Text)
    connector_id: Mapped[str | None] = mapped_column(String(KEY_MAX))
    connector_version: Mapped[str | None] = mapped_column(String(KEY_MAX))
    external_app_id: Mapped[str | None] = mapped_column(String(KEY_MAX))


class DataCollection(NameMixin, IdMixin, TimestampMixin, Base):
    """A collection an integration declares, so data sources can be checked against it."""

    __tablename__ = "data_collections"
    __table_args__ = (
        Index("uq_data_collections_integration_id_key", "integration_id", "key", unique=True),
    )

    workspace_id: Mapped[str] = reference("workspaces")
    integration_id: Mapped[str] = reference("integrations")
    key: Mapped[str] = mapped_column(String(KEY_MAX), nullable=False)
    parameters_schema: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
