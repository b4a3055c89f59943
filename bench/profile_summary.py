"""Summarise a py-spy collapsed-stack profile (`py-spy record --format raw`) of a server.

Run by hand (bench/run does): `python bench/profile_summary.py FILE [--top N]`. Prints where
the process spent its samples: the share of samples whose stack passes through each layer
(inclusive) and the functions with the most samples on top of the stack (self time).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter

# Inclusive layers, matched against the frames' file paths; a sample counts once per layer.
LAYERS = {
    "datalinks code": re.compile(r"\(datalinks/"),
    "SQLAlchemy": re.compile(r"\(sqlalchemy/"),
    "psycopg": re.compile(r"\(psycopg(_pool)?/"),
    "FastAPI/Starlette": re.compile(r"\((fastapi|starlette)/"),
    "pydantic": re.compile(r"\(pydantic(_core)?/"),
    "uvicorn": re.compile(r"\(uvicorn/"),
    "JSON": re.compile(r"\((json|orjson)/"),
    "logging": re.compile(r"\(logging/"),
    "JWT": re.compile(r"\(jwt/"),
}
FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::\d+)?\)$")


def summarise(path: str, top: int) -> str:
    layers: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            stack, _, count_text = line.rstrip("\n").rpartition(" ")
            if not stack or not count_text.isdigit():
                continue
            count = int(count_text)
            total += count
            for name, pattern in LAYERS.items():
                if pattern.search(stack):
                    layers[name] += count
            leaf = stack.split(";")[-1]
            match = FRAME.match(leaf)
            if match:
                short = match["file"]
                own[f"{match['func']} ({short})"] += count
            else:
                own[leaf] += count
    lines = [f"{total} samples", "", "| Layer (inclusive) | Share |", "|---|---:|"]
    for name, count in layers.most_common():
        lines.append(f"| {name} | {100 * count / total:.1f}% |")
    lines += ["", "| Function (self) | Share |", "|---|---:|"]
    for name, count in own.most_common(top):
        lines.append(f"| `{name}` | {100 * count / total:.1f}% |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path")
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    print(summarise(args.path, args.top))


if __name__ == "__main__":
    main()
