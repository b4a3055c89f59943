from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Computed,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
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

# Record ids may be 1000 characters of any Unicode (up to 4000 bytes each), more than a btree
# entry can hold, so the link indexes key on a SHA-256 of each id (an immutable SQL function
# created by the first migration) and queries compare the text as well.
RECORD_HASH_FUNCTION = "datalinks_record_hash"
RECORD_ID_MAX = 1000


class DataLinkTable(IdMixin, TimestampMixin, ArchivableMixin, Base):
    __tablename__ = "data_link_tables"
    __table_args__ = (
        Index(
            "uq_data_link_tables_workspace_id_key",
            "workspace_id",
            "key",
            unique=True,
            postgresql_where=text("archived_at IS NULL"),
        ),
        Index(
            "uq_data_link_tables_workspace_id_uuid",
            "workspace_id",
            "uuid",
            unique=True,
            postgresql_where=text("archived_at IS NULL"),
        ),
        Index("ix_data_link_tables_workspace_id_created_at_id", "workspace_id", "created_at", "id"),
    )

    workspace_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False
    )
    key: Mapped[str] = mapped_column(String(KEY_MAX), nullable=False)
    name: Mapped[str] = mapped_column(String(NAME_MAX), nullable=False)
    uuid: Mapped[str] = mapped_column(String(KEY_MAX), nullable=False)
    description: Mapped[str | None] = mapped_column(String(TEXT_MAX))
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    revision: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("1"))


class DataLinkTableInstance(IdMixin, TimestampMixin, ArchivableMixin, Base):
    """One per (table, connection, instanceKey): the container of a connection's links."""

    __tablename__ = "data_link_table_instances"
    __table_args__ = (
        Index(
            "uq_data_link_table_instances_slot",
            "data_link_table_id",
            "connection_id",
            "instance_key",
            unique=True,
            postgresql_nulls_not_distinct=True,
            postgresql_where=text("archived_at IS NULL"),
        ),
        Index(
            "ix_data_link_table_instances_workspace_id_created_at_id",
            "workspace_id",
            "created_at",
            "id",
        ),
        Index("ix_data_link_table_instances_connection_id", "connection_id"),
        Index("ix_data_link_table_instances_customer_id", "customer_id"),
    )

    workspace_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False
    )
    data_link_table_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("data_link_tables.id", ondelete="CASCADE"), nullable=False
    )
    connection_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("connections.id", ondelete="CASCADE"), nullable=False
    )
    # Copied from the connection, which never changes owner or integration, so tenant checks
    # need no join.
    customer_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("customers.id", ondelete="CASCADE"), nullable=False
    )
    integration_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("integrations.id", ondelete="CASCADE"), nullable=False
    )
    instance_key: Mapped[str | None] = mapped_column(String(KEY_MAX))
    description: Mapped[str | None] = mapped_column(String(TEXT_MAX))
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    revision: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("1"))


class DataLink(Base):
    """A pair of record ids in one instance, for one direction."""

    __tablename__ = "data_links"
    __table_args__ = (
        CheckConstraint("direction IN ('import', 'export')", name="direction"),
        # The (instance, externalRecordId, appRecordId, direction) uniqueness, over hashes.
        Index(
            "uq_data_links_instance_records",
            "data_link_table_instance_id",
            "external_record_hash",
            "app_record_hash",
            "direction",
            unique=True,
        ),
        Index(
            "ix_data_links_instance_app_record", "data_link_table_instance_id", "app_record_hash"
        ),
        Index("ix_data_links_instance_id_id", "data_link_table_instance_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    data_link_table_instance_id: Mapped[str] = mapped_column(
        String(ID_LENGTH),
        ForeignKey("data_link_table_instances.id", ondelete="CASCADE"),
        nullable=False,
    )
    direction: Mapped[str] = mapped_column(String(6), nullable=False)
    external_record_id: Mapped[str] = mapped_column(Text, nullable=False)
    app_record_id: Mapped[str] = mapped_column(Text, nullable=False)
    external_record_hash: Mapped[bytes] = mapped_column(
        LargeBinary, Computed(f"{RECORD_HASH_FUNCTION}(external_record_id)", persisted=True)
    )
    app_record_hash: Mapped[bytes] = mapped_column(
        LargeBinary, Computed(f"{RECORD_HASH_FUNCTION}(app_record_id)", persisted=True)
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
