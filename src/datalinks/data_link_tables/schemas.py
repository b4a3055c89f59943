from __future__ import annotations

from datalinks.core.schemas import NamedElementExport, NamedElementOut, NamedElementWrite


class DataLinkTableWrite(NamedElementWrite):
    pass


class DataLinkTable(NamedElementOut):
    pass


class DataLinkTableExport(NamedElementExport):
    pass
