from __future__ import annotations

from datalinks.core.errors import BadRequest, NotFound
from datalinks.core.repository import NamedElementRepository
from datalinks.models import DataLinkTable


class DataLinkTableRepository(NamedElementRepository[DataLinkTable]):
    model = DataLinkTable
    noun = "Data link table"

    def conflict_message(self) -> str:
        return "A live data link table with this key (or uuid) already exists"

    async def for_selector(self, table_id: str | None, table_key: str | None) -> DataLinkTable:
        """The parent an instance selector names: by id (archived too), or by key among live."""
        if table_id:
            found = await self.find_by_id_or_key(
                table_id, self.scoped().where(DataLinkTable.id == table_id)
            )
        else:
            found = await self.find_by_id_or_key(
                table_key or "", self.live(self.scoped()).where(DataLinkTable.key == table_key)
            )
        if found is None:
            raise NotFound(f"Data link table {table_id or table_key!r} not found")
        return found

    @staticmethod
    def ensure_writable(table: DataLinkTable) -> None:
        if table.archived_at is not None:
            raise BadRequest("The data link table is archived; restore it to change its links")
