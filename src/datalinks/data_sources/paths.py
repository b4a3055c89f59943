"""A data source's `path`: `/data/{collectionKey}?{collectionParameters}`, and back.

Membrane still accepts `path` as a (deprecated) way to set the collection, so it must parse
back into the key and parameters it was computed from. Parameters are form-encoded the way
`qs` writes objects: sorted keys, `a[b]=1` for nesting, `a[0]=x` for list items; values come
back as strings because the form has no types.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from datalinks.models.base import KEY_MAX

PREFIX = "/data/"
MAX_DEPTH = 32
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


class PathError(ValueError):
    """A path that does not name a collection."""


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return json.dumps(value)
    raise PathError(f"cannot form-encode a {type(value).__name__}")


def _pairs(prefix: str, value: Any, depth: int) -> list[tuple[str, str]]:
    if depth > MAX_DEPTH:
        raise PathError(f"parameters nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        out: list[tuple[str, str]] = []
        for key in sorted(value):
            out.extend(_pairs(f"{prefix}[{quote(str(key), safe='')}]", value[key], depth + 1))
        return out
    if isinstance(value, list):
        out = []
        for index, item in enumerate(value):
            out.extend(_pairs(f"{prefix}[{index}]", item, depth + 1))
        return out
    return [(prefix, quote(_scalar(value), safe=""))]


def encode_parameters(parameters: dict[str, Any]) -> str:
    pairs: list[tuple[str, str]] = []
    for key in sorted(parameters):
        pairs.extend(_pairs(quote(str(key), safe=""), parameters[key], 1))
    return "&".join(f"{name}={value}" for name, value in pairs)


def compute_path(collection_key: str | None, parameters: dict[str, Any] | None) -> str | None:
    """No collection, no path."""
    if not collection_key:
        return None
    path = PREFIX + quote(collection_key, safe="")
    query = encode_parameters(parameters) if parameters else ""
    return f"{path}?{query}" if query else path


def _split_name(name: str) -> list[str]:
    head, bracket, rest = name.partition("[")
    if not head:
        raise PathError(f"parameter name {name!r} has no base name")
    if "]" in head:
        raise PathError(f"parameter name {name!r} has unbalanced brackets")
    if not bracket:
        return [head]
    rest = "[" + rest
    segments = _SEGMENT.findall(rest)
    if "".join(f"[{s}]" for s in segments) != rest:
        raise PathError(f"parameter name {name!r} has unbalanced brackets")
    if len(segments) >= MAX_DEPTH:
        raise PathError(f"parameters nested deeper than {MAX_DEPTH} levels")
    return [head, *segments]


def _assign(target: dict[str, Any], segments: list[str], value: str, name: str) -> None:
    node = target
    for segment in segments[:-1]:
        child = node.setdefault(segment, {})
        if not isinstance(child, dict):
            raise PathError(f"parameter {name!r} conflicts with a plain value")
        node = child
    last = segments[-1]
    if last in node:
        raise PathError(f"parameter {name!r} is given twice")
    node[last] = value


def _lists(node: Any) -> Any:
    """`{"0": a, "1": b}` was a list before it was encoded; anything else stays an object."""
    if not isinstance(node, dict):
        return node
    converted = {key: _lists(value) for key, value in node.items()}
    if converted and sorted(converted) == [str(i) for i in range(len(converted))]:
        return [converted[str(i)] for i in range(len(converted))]
    return converted


def decode_parameters(query: str) -> dict[str, Any]:
    parameters: dict[str, Any] = {}
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError as exc:
        raise PathError(f"malformed query string: {exc}") from None
    for name, value in pairs:
        if "\x00" in name or "\x00" in value:
            raise PathError("parameters must not contain NUL characters")
        segments = _split_name(name)
        if any(segment == "" for segment in segments[1:]):
            raise PathError(f"parameter {name!r} uses [] without an index")
        _assign(parameters, segments, value, name)
    return {key: _lists(value) for key, value in parameters.items()}


def parse_path(path: str) -> tuple[str, dict[str, Any] | None]:
    """`/data/tasks?projectId=123` → ("tasks", {"projectId": "123"}); no query → None."""
    location, _, query = path.partition("?")
    if not location.startswith(PREFIX):
        raise PathError(f"a path starts with {PREFIX}")
    key = unquote(location[len(PREFIX) :].rstrip("/"))
    if not key:
        raise PathError("the path names no collection")
    if "/" in key:
        raise PathError("a collection key cannot contain '/'")
    if "\x00" in key or len(key) > KEY_MAX:
        raise PathError(f"the collection key must be 1 to {KEY_MAX} characters without NUL")
    parameters = decode_parameters(query) if query else None
    return key, parameters or None
