from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Computed,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    LargeBinary,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from datalinks.models.base import (
    ID_LENGTH,
    TEXT_MAX,
    Base,
    ConnectionInstance,
    MetaMixin,
    NamedElement,
    instance_indexes,
    named_element_indexes,
    reference,
)

# Record ids may be 1000 characters of any Unicode (up to 4000 bytes each), more than a btree
# entry can hold, so the link indexes key on a SHA-256 of each id (an immutable SQL function
# created by the first migration) and queries compare the text as well.
RECORD_HASH_FUNCTION = "datalinks_record_hash"
RECORD_ID_MAX = 1000


class DataLinkTable(NamedElement):
    __tablename__ = "data_link_tables"
    __table_args__ = named_element_indexes(__tablename__)


class DataLinkTableInstance(MetaMixin, ConnectionInstance):
    """One per (table, connection, instanceKey): the container of a connection's links."""

    __tablename__ = "data_link_table_instances"
    __table_args__ = instance_indexes(__tablename__, "data_link_table_id")

    data_link_table_id: Mapped[str] = reference("data_link_tables")
    description: Mapped[str | None] = mapped_column(String(TEXT_MAX))


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
