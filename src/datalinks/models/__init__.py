"""Every table, imported here so Base.metadata is complete for Alembic and the tests."""

from datalinks.models.base import Base, new_id
from datalinks.models.connection import Connection
from datalinks.models.customer import Customer
from datalinks.models.data_link_table import DataLink, DataLinkTable, DataLinkTableInstance
from datalinks.models.data_source import DataSource, DataSourceInstance
from datalinks.models.integration import DataCollection, Integration
from datalinks.models.workspace import Workspace

__all__ = [
    "Base",
    "Connection",
    "Customer",
    "DataCollection",
    "DataLink",
    "DataLinkTable",
    "DataLinkTableInstance",
    "DataSource",
    "DataSourceInstance",
    "Integration",
    "Workspace",
    "new_id",
]
