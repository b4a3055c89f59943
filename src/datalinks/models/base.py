"""Declarative base, constraint naming convention and the columns every element shares."""

from __future__ import annotations

import os
import time
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, MetaData, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedColumn, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID_LENGTH = 24
KEY_MAX = 255
NAME_MAX = 1000
TEXT_MAX = 10_000
# Only live rows take part in uniqueness: an archived element's key is free for a new one.
LIVE = text("archived_at IS NULL")


def new_id() -> str:
    """24 hex characters: 4 bytes of seconds then 8 random bytes (sortable, opaque, unguessable)."""
    return f"{int(time.time()):08x}{os.urandom(8).hex()}"


def reference(
    table: str, *, nullable: bool = False, ondelete: str = "CASCADE"
) -> MappedColumn[Any]:
    """An id column pointing at `table`'s id."""
    return mapped_column(
        String(ID_LENGTH), ForeignKey(f"{table}.id", ondelete=ondelete), nullable=nullable
    )


def live_unique(table: str, *columns: str, nulls_not_distinct: bool = False) -> Index:
    """Unique among the live rows, named like the convention's `uq_` names."""
    # Passed only when set: an explicit False would make PostgreSQL DDL say NULLS DISTINCT.
    options: dict[str, Any] = {"postgresql_nulls_not_distinct": True} if nulls_not_distinct else {}
    return Index(
        f"uq_{table}_{'_'.join(columns)}", *columns, unique=True, postgresql_where=LIVE, **options
    )


def listing_index(table: str) -> Index:
    """What every list pages by: the workspace's rows in (created_at, id) order."""
    return Index(f"ix_{table}_workspace_id_created_at_id", "workspace_id", "created_at", "id")


def named_element_indexes(
    table: str, *scope: str, nulls_not_distinct: bool = False
) -> tuple[Index, ...]:
    """A NamedElement table's: its key unique among the workspace's live elements (within
    `scope`), its uuid unique in the workspace, and the listing index."""
    return (
        live_unique(table, "workspace_id", *scope, "key", nulls_not_distinct=nulls_not_distinct),
        live_unique(table, "workspace_id", "uuid"),
        listing_index(table),
    )


def instance_indexes(table: str, parent_column: str) -> tuple[Index, ...]:
    """A ConnectionInstance table's slot (at most one live instance per element, connection
    and instanceKey, the default instance's null key included), listing and tenant indexes."""
    return (
        Index(
            f"uq_{table}_slot",
            parent_column,
            "connection_id",
            "instance_key",
            unique=True,
            postgresql_nulls_not_distinct=True,
            postgresql_where=LIVE,
        ),
        listing_index(table),
        Index(f"ix_{table}_connection_id", "connection_id"),
        Index(f"ix_{table}_customer_id", "customer_id"),
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class IdMixin:
    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True, default=new_id)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )


class ArchivableMixin:
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def is_deactivated(self) -> bool:
        return self.archived_at is not None


class WorkspaceElement(IdMixin, TimestampMixin, ArchivableMixin, Base):
    """What ElementRepository needs of a row: an id, timestamps, archiving and a workspace.
    Abstract: each subclass gets a copy of these columns in its own table."""

    __abstract__ = True

    workspace_id: Mapped[str] = reference("workspaces")


class NameMixin:
    name: Mapped[str] = mapped_column(String(NAME_MAX), nullable=False)


class RevisionMixin:
    """Elements the SDK caches: every change bumps the revision."""

    revision: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("1"))


class MetaMixin:
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class IsTestMixin:
    is_test: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))


class TenantElement(NameMixin, MetaMixin, IsTestMixin, WorkspaceElement):
    """Customers (Membrane's tenants) and their connections."""

    __abstract__ = True


class NamedElement(NameMixin, RevisionMixin, MetaMixin, WorkspaceElement):
    """An element addressed by key (unique among the live ones) or uuid: integrations, data
    link tables and data sources."""

    __abstract__ = True

    key: Mapped[str] = mapped_column(String(KEY_MAX), nullable=False)
    uuid: Mapped[str] = mapped_column(String(KEY_MAX), nullable=False)
    description: Mapped[str | None] = mapped_column(String(TEXT_MAX))


class ConnectionInstance(RevisionMixin, WorkspaceElement):
    """A connection's instance of a workspace element, one per (element, connection,
    instanceKey). The owner and integration are copied from the connection, which never
    changes either, so tenant checks need no join."""

    __abstract__ = True

    connection_id: Mapped[str] = reference("connections")
    customer_id: Mapped[str] = reference("customers")
    integration_id: Mapped[str] = reference("integrations")
    instance_key: Mapped[str | None] = mapped_column(String(KEY_MAX))
