"""Initial schema: workspaces, customers, integrations, connections, data-link tables and
instances, data links, data sources and their instances, data collections.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 11:52:23.367130
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Record ids can be longer than a btree entry allows, so link indexes key on this digest.
# IMMUTABLE is true here: a database's encoding never changes after creation.
RECORD_HASH_SQL = """
CREATE FUNCTION datalinks_record_hash(record_id text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN sha256(convert_to(record_id, 'UTF8'))
"""


def upgrade() -> None:
    op.execute(RECORD_HASH_SQL)
    op.create_table(
        "workspaces",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=1000), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspaces")),
        sa.UniqueConstraint("key", name=op.f("uq_workspaces_key")),
    )
    op.create_table(
        "customers",
        sa.Column("workspace_id", sa.String(length=24), nullable=False),
        sa.Column("internal_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=1000), nullable=False),
        sa.Column("meta", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("fields", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("credentials", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("is_test", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("last_active_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_customers_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
    )
    op.create_index(
        "ix_customers_workspace_id_created_at_id",
        "customers",
        ["workspace_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "uq_customers_workspace_id_internal_id",
        "customers",
        ["workspace_id", "internal_id"],
        unique=True,
        postgresql_where=sa.text("archived_at IS NULL"),
    )
    op.create_table(
        "data_link_tables",
        sa.Column("workspace_id", sa.String(length=24), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=1000), nullable=False),
        sa.Column("uuid", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=10000), nullable=True),
        sa.Column("meta", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("revision", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_data_link_tables_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_link_tables")),
    )
    op.create_index(
        "ix_data_link_tables_workspace_id_created_at_id",
        "data_link_tables",
        ["workspace_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "uq_data_link_tables_workspace_id_key",
        "data_link_tables",
        ["workspace_id", "key"],
        unique=True,
        postgresql_where=sa.text("archived_at IS NULL"),
    )
    op.create_index(
        "uq_data_link_tables_workspace_id_uuid",
        "data_link_tables",
        ["workspace_id", "uuid"],
        unique=True,
        postgresql_where=sa.text("archived_at IS NULL"),
    )
    op.create_table(
        "integrations",
        sa.Column("workspace_id", sa.String(length=24), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=1000), nullable=False),
        sa.Column("uuid", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=10000), nullable=True),
        sa.Column("meta", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("parameters", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("logo_uri", sa.Text(), nullable=True),
        sa.Column("connector_id", sa.String(length=255), nullable=True),
        sa.Column("connector_version", sa.String(length=255), nullable=True),
        sa.Column("external_app_id", sa.String(length=255), nullable=True),
        sa.Column("revision", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_integrations_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrations")),
    )
    op.create_index(
        "ix_integrations_workspace_id_created_at_id",
        "integrations",
        ["workspace_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "uq_integrations_workspace_id_key",
        "integrations",
        ["workspace_id", "key"],
        unique=True,
        postgresql_where=sa.text("archived_at IS NULL"),
    )
    op.create_index(
        "uq_integrations_workspace_id_uuid",
        "integrations",
        ["workspace_id", "uuid"],
        unique=True,
        postgresql_where=sa.text("archived_at IS NULL"),
    )
    op.create_table(
        "connections",
        sa.Column("workspace_id", sa.String(length=24), nullable=False),
        sa.Column("customer_id", sa.String(length=24), nullable=False),
        sa.Column("integration_id", sa.String(length=24), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=True),
        sa.Column("name", sa.String(length=1000), nullable=False),
        sa.Column("meta", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("is_test", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_connections_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_connections_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_connections_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connections")),
    )
    op.create_index(
        "ix_connections_customer_id_integration_id",
        "connections",
        ["customer_id", "integration_id"],
        unique=False,
    )
    op.create_index(
        "ix_connections_integration_id", "connections", ["integration_id"], unique=False
    )
    op.create_index(
        "ix_connections_workspace_id_created_at_id",
        "connections",
        ["workspace_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "uq_connections_customer_id_key",
        "connections",
        ["customer_id", "key"],
        unique=True,
        postgresql_where=sa.text("archived_at IS NULL"),
    )
    op.create_table(
        "data_collections",
        sa.Column("workspace_id", sa.String(length=24), nullable=False),
        sa.Column("integration_id", sa.String(length=24), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=1000), nullable=False),
        sa.Column("parameters_schema", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_data_collections_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_data_collections_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_collections")),
    )
    op.create_index(
        "uq_data_collections_integration_id_key",
        "data_collections",
        ["integration_id", "key"],
        unique=True,
    )
    op.create_table(
        "data_sources",
        sa.Column("workspace_id", sa.String(length=24), nullable=False),
        sa.Column("integration_id", sa.String(length=24), nullable=True),
        sa.Column("parent_id", sa.String(length=24), nullable=True),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=1000), nullable=False),
        sa.Column("uuid", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=10000), nullable=True),
        sa.Column("meta", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("udm", sa.String(length=255), nullable=True),
        sa.Column("collection_key", sa.String(length=255), nullable=True),
        sa.Column("collection_parameters", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "pull_updates_interval_seconds",
            sa.Integer(),
            server_default=sa.text("300"),
            nullable=False,
        ),
        sa.Column(
            "full_sync_interval_seconds",
            sa.Integer(),
            server_default=sa.text("10800"),
            nullable=False,
        ),
        sa.Column("revision", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "full_sync_interval_seconds >= 60", name=op.f("ck_data_sources_full_sync_interval")
        ),
        sa.CheckConstraint(
            "pull_updates_interval_seconds >= 60", name=op.f("ck_data_sources_pull_interval")
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_data_sources_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["data_sources.id"],
            name=op.f("fk_data_sources_parent_id_data_sources"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_data_sources_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_sources")),
    )
    op.create_index(
        "ix_data_sources_workspace_id_created_at_id",
        "data_sources",
        ["workspace_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "uq_data_sources_workspace_id_integration_id_key",
        "data_sources",
        ["workspace_id", "integration_id", "key"],
        unique=True,
        postgresql_nulls_not_distinct=True,
        postgresql_where=sa.text("archived_at IS NULL"),
    )
    op.create_index(
        "uq_data_sources_workspace_id_uuid",
        "data_sources",
        ["workspace_id", "uuid"],
        unique=True,
        postgresql_where=sa.text("archived_at IS NULL"),
    )
    op.create_table(
        "data_link_table_instances",
        sa.Column("workspace_id", sa.String(length=24), nullable=False),
        sa.Column("data_link_table_id", sa.String(length=24), nullable=False),
        sa.Column("connection_id", sa.String(length=24), nullable=False),
        sa.Column("customer_id", sa.String(length=24), nullable=False),
        sa.Column("integration_id", sa.String(length=24), nullable=False),
        sa.Column("instance_key", sa.String(length=255), nullable=True),
        sa.Column("description", sa.String(length=10000), nullable=True),
        sa.Column("meta", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("revision", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_data_link_table_instances_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_data_link_table_instances_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["data_link_table_id"],
            ["data_link_tables.id"],
            name=op.f("fk_data_link_table_instances_data_link_table_id_data_link_tables"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_data_link_table_instances_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_data_link_table_instances_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_link_table_instances")),
    )
    op.create_index(
        "ix_data_link_table_instances_connection_id",
        "data_link_table_instances",
        ["connection_id"],
        unique=False,
    )
    op.create_index(
        "ix_data_link_table_instances_customer_id",
        "data_link_table_instances",
        ["customer_id"],
        unique=False,
    )
    op.create_index(
        "ix_data_link_table_instances_workspace_id_created_at_id",
        "data_link_table_instances",
        ["workspace_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "uq_data_link_table_instances_slot",
        "data_link_table_instances",
        ["data_link_table_id", "connection_id", "instance_key"],
        unique=True,
        postgresql_nulls_not_distinct=True,
        postgresql_where=sa.text("archived_at IS NULL"),
    )
    op.create_table(
        "data_source_instances",
        sa.Column("workspace_id", sa.String(length=24), nullable=False),
        sa.Column("data_source_id", sa.String(length=24), nullable=False),
        sa.Column("connection_id", sa.String(length=24), nullable=False),
        sa.Column("customer_id", sa.String(length=24), nullable=False),
        sa.Column("integration_id", sa.String(length=24), nullable=False),
        sa.Column("instance_key", sa.String(length=255), nullable=True),
        sa.Column("udm", sa.String(length=255), nullable=True),
        sa.Column("collection_key", sa.String(length=255), nullable=True),
        sa.Column("collection_parameters", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("pull_updates_interval_seconds", sa.Integer(), nullable=False),
        sa.Column("full_sync_interval_seconds", sa.Integer(), nullable=False),
        sa.Column("subscribed_to", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("is_customized", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("revision", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "data_source_revision", sa.Integer(), server_default=sa.text("1"), nullable=False
        ),
        sa.Column("last_setup_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "full_sync_interval_seconds >= 60",
            name=op.f("ck_data_source_instances_full_sync_interval"),
        ),
        sa.CheckConstraint(
            "pull_updates_interval_seconds >= 60",
            name=op.f("ck_data_source_instances_pull_interval"),
        ),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_data_source_instances_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_data_source_instances_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["data_source_id"],
            ["data_sources.id"],
            name=op.f("fk_data_source_instances_data_source_id_data_sources"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_data_source_instances_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_data_source_instances_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_source_instances")),
    )
    op.create_index(
        "ix_data_source_instances_connection_id",
        "data_source_instances",
        ["connection_id"],
        unique=False,
    )
    op.create_index(
        "ix_data_source_instances_customer_id",
        "data_source_instances",
        ["customer_id"],
        unique=False,
    )
    op.create_index(
        "ix_data_source_instances_workspace_id_created_at_id",
        "data_source_instances",
        ["workspace_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "uq_data_source_instances_slot",
        "data_source_instances",
        ["data_source_id", "connection_id", "instance_key"],
        unique=True,
        postgresql_nulls_not_distinct=True,
        postgresql_where=sa.text("archived_at IS NULL"),
    )
    op.create_table(
        "data_links",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("data_link_table_instance_id", sa.String(length=24), nullable=False),
        sa.Column("direction", sa.String(length=6), nullable=False),
        sa.Column("external_record_id", sa.Text(), nullable=False),
        sa.Column("app_record_id", sa.Text(), nullable=False),
        sa.Column(
            "external_record_hash",
            sa.LargeBinary(),
            sa.Computed("datalinks_record_hash(external_record_id)", persisted=True),
            nullable=False,
        ),
        sa.Column(
            "app_record_hash",
            sa.LargeBinary(),
            sa.Computed("datalinks_record_hash(app_record_id)", persisted=True),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "direction IN ('import', 'export')", name=op.f("ck_data_links_direction")
        ),
        sa.ForeignKeyConstraint(
            ["data_link_table_instance_id"],
            ["data_link_table_instances.id"],
            name=op.f("fk_data_links_data_link_table_instance_id_data_link_table_instances"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_links")),
    )
    op.create_index(
        "ix_data_links_instance_app_record",
        "data_links",
        ["data_link_table_instance_id", "app_record_hash"],
        unique=False,
    )
    op.create_index(
        "ix_data_links_instance_id_id",
        "data_links",
        ["data_link_table_instance_id", "id"],
        unique=False,
    )
    op.create_index(
        "uq_data_links_instance_records",
        "data_links",
        ["data_link_table_instance_id", "external_record_hash", "app_record_hash", "direction"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_data_links_instance_records", table_name="data_links")
    op.drop_index("ix_data_links_instance_id_id", table_name="data_links")
    op.drop_index("ix_data_links_instance_app_record", table_name="data_links")
    op.drop_table("data_links")
    op.drop_index(
        "uq_data_source_instances_slot",
        table_name="data_source_instances",
        postgresql_nulls_not_distinct=True,
        postgresql_where=sa.text("archived_at IS NULL"),
    )
    op.drop_index(
        "ix_data_source_instances_workspace_id_created_at_id", table_name="data_source_instances"
    )
    op.drop_index("ix_data_source_instances_customer_id", table_name="data_source_instances")
    op.drop_index("ix_data_source_instances_connection_id", table_name="data_source_instances")
    op.drop_table("data_source_instances")
    op.drop_index(
        "uq_data_link_table_instances_slot",
        table_name="data_link_table_instances",
        postgresql_nulls_not_distinct=True,
        postgresql_where=sa.text("archived_at IS NULL"),
    )
    op.drop_index(
        "ix_data_link_table_instances_workspace_id_created_at_id",
        table_name="data_link_table_instances",
    )
    op.drop_index(
        "ix_data_link_table_instances_customer_id", table_name="data_link_table_instances"
    )
    op.drop_index(
        "ix_data_link_table_instances_connection_id", table_name="data_link_table_instances"
    )
    op.drop_table("data_link_table_instances")
    op.drop_index(
        "uq_data_sources_workspace_id_uuid",
        table_name="data_sources",
        postgresql_where=sa.text("archived_at IS NULL"),
    )
    op.drop_index(
        "uq_data_sources_workspace_id_integration_id_key",
        table_name="data_sources",
        postgresql_nulls_not_distinct=True,
        postgresql_where=sa.text("archived_at IS NULL"),
    )
    op.drop_index("ix_data_sources_workspace_id_created_at_id", table_name="data_sources")
    op.drop_table("data_sources")
    op.drop_index("uq_data_collections_integration_id_key", table_name="data_collections")
    op.drop_table("data_collections")
    op.drop_index(
        "uq_connections_customer_id_key",
        table_name="connections",
        postgresql_where=sa.text("archived_at IS NULL"),
    )
    op.drop_index("ix_connections_workspace_id_created_at_id", table_name="connections")
    op.drop_index("ix_connections_integration_id", table_name="connections")
    op.drop_index("ix_connections_customer_id_integration_id", table_name="connections")
    op.drop_table("connections")
    op.drop_index(
        "uq_integrations_workspace_id_uuid",
        table_name="integrations",
        postgresql_where=sa.text("archived_at IS NULL"),
    )
    op.drop_index(
        "uq_integrations_workspace_id_key",
        table_name="integrations",
        postgresql_where=sa.text("archived_at IS NULL"),
    )
    op.drop_index("ix_integrations_workspace_id_created_at_id", table_name="integrations")
    op.drop_table("integrations")
    op.drop_index(
        "uq_data_link_tables_workspace_id_uuid",
        table_name="data_link_tables",
        postgresql_where=sa.text("archived_at IS NULL"),
    )
    op.drop_index(
        "uq_data_link_tables_workspace_id_key",
        table_name="data_link_tables",
        postgresql_where=sa.text("archived_at IS NULL"),
    )
    op.drop_index("ix_data_link_tables_workspace_id_created_at_id", table_name="data_link_tables")
    op.drop_table("data_link_tables")
    op.drop_index(
        "uq_customers_workspace_id_internal_id",
        table_name="customers",
        postgresql_where=sa.text("archived_at IS NULL"),
    )
    op.drop_index("ix_customers_workspace_id_created_at_id", table_name="customers")
    op.drop_table("customers")
    op.drop_table("workspaces")
    op.execute("DROP FUNCTION datalinks_record_hash(text)")
