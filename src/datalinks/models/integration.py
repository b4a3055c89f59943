from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
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


class Integration(IdMixin, TimestampMixin, ArchivableMixin, Base):
    """Names an external app; there is no connector behind it, it scopes connections and sources."""

    __tablename__ = "integrations"
    __table_args__ = (
        Index(
            "uq_integrations_workspace_id_key",
            "workspace_id",
            "key",
            unique=True,
            postgresql_where=text("archived_at IS NULL"),
        ),
        Index(
            "uq_integrations_workspace_id_uuid",
            "workspace_id",
            "uuid",
            unique=True,
            postgresql_where=text("archived_at IS NULL"),
        ),
        Index("ix_integrations_workspace_id_created_at_id", "workspace_id", "created_at", "id"),
    )

    workspace_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False
    )
    key: Mapped[str] = mapped_column(String(KEY_MAX), nullable=False)
    name: Mapped[str] = mapped_column(String(NAME_MAX), nullable=False)
    uuid: Mapped[str] = mapped_column(String(KEY_MAX), nullable=False)
    description: Mapped[str | None] = mapped_column(String(TEXT_MAX))
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    parameters: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    logo_uri: Mapped[str | None] = mapped_column(Text)
    connector_id: Mapped[str | None] = mapped_column(String(KEY_MAX))
    connector_version: Mapped[str | None] = mapped_column(String(KEY_MAX))
    external_app_id: Mapped[str | None] = mapped_column(String(KEY_MAX))
    revision: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("1"))


class DataCollection(IdMixin, TimestampMixin, Base):
    """A collection an integration declares, so data sources can be checked against it."""

    __tablename__ = "data_collections"
    __table_args__ = (
        Index("uq_data_collections_integration_id_key", "integration_id", "key", unique=True),
    )

    workspace_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False
    )
    integration_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("integrations.id", ondelete="CASCADE"), nullable=False
    )
    key: Mapped[str] = mapped_column(String(KEY_MAX), nullable=False)
    name: Mapped[str] = mapped_column(String(NAME_MAX), nullable=False)
    parameters_schema: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
