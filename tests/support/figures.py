"""Figures the reliability suites count while they run (inputs tried, races run, faults
injected, rows lost), printed at the end of the pytest run and, when
`DATALINKS_FIGURES_FILE` names a file, written there as JSON, so that docs/reliability.md
quotes a real run rather than numbers someone typed.

A suite calls `record("bad inputs tried", n)`; names are free text, counts add up.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

FIGURES: Counter[str] = Counter()
FILE_VARIABLE = "DATALINKS_FIGURES_FILE"


def record(name: str, count: int = 1) -> None:
    FIGURES[name] += count


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FIGURES:
        return
    terminalreporter.section("reliability figures")
    for name, count in sorted(FIGURES.items()):
        terminalreporter.write_line(f"{name}: {count}")
    target = os.environ.get(FILE_VARIABLE)
    if target:
        Path(target).write_text(json.dumps(dict(sorted(FIGURES.items())), indent=2) + "\n")
