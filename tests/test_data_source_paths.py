"""`path` = `/data/{collectionKey}?{form-encoded collectionParameters}`, and back."""

from __future__ import annotations

from typing import Any

import pytest

from datalinks.data_sources.paths import PathError, compute_path, parse_path


@pytest.mark.parametrize(
    ("key", "parameters", "path"),
    [
        ("tasks", {"projectId": "123"}, "/data/tasks?projectId=123"),
        ("tasks", None, "/data/tasks"),
        ("tasks", {}, "/data/tasks"),
        ("tasks", {"b": "2", "a": "1"}, "/data/tasks?a=1&b=2"),
        (
            "tasks",
            {"filter": {"status": "open", "owner": "me"}},
            ("/data/tasks?filter[owner]=me&filter[status]=open"),
        ),
        ("tasks", {"ids": ["x", "y"]}, "/data/tasks?ids[0]=x&ids[1]=y"),
        ("tasks", {"q": "a b&c=d/é"}, "/data/tasks?q=a%20b%26c%3Dd%2F%C3%A9"),
        ("my tasks", {"n": 5, "ok": True, "none": None}, "/data/my%20tasks?n=5&none=&ok=true"),
    ],
)
def test_compute_path(key: str, parameters: dict[str, Any] | None, path: str) -> None:
    assert compute_path(key, parameters) == path


def test_no_collection_no_path() -> None:
    assert compute_path(None, {"projectId": "1"}) is None
    assert compute_path("", None) is None


@pytest.mark.parametrize(
    "parameters",
    [
        {"projectId": "123"},
        {"filter": {"owner": "me", "status": "open"}},
        {"ids": ["x", "y"], "deep": {"a": {"b": {"c": "d"}}}},
        {"q": "a b&c=d/é", "empty": ""},
        {"list": [{"a": "1"}, {"a": "2"}]},
    ],
)
def test_round_trip(parameters: dict[str, Any]) -> None:
    path = compute_path("tasks", parameters)
    assert path is not None
    assert parse_path(path) == ("tasks", parameters)


def test_parse_without_query() -> None:
    assert parse_path("/data/tasks") == ("tasks", None)
    assert parse_path("/data/tasks/") == ("tasks", None)
    assert parse_path("/data/tasks?") == ("tasks", None)
    assert parse_path("/data/my%20tasks?x=1") == ("my tasks", {"x": "1"})


def test_sparse_indexes_stay_an_object() -> None:
    assert parse_path("/data/t?a[1]=x&a[3]=y") == ("t", {"a": {"1": "x", "3": "y"}})


@pytest.mark.parametrize(
    "path",
    [
        "",
        "tasks",
        "/records/tasks",
        "/data/",
        "/data/a/b",
        "/data/t?a=1&a=2",
        "/data/t?a=1&a[b]=2",
        "/data/t?a[b]=2&a=1",
        "/data/t?a[=1",
        "/data/t?a]b=1",
        "/data/t?[a]=1",
        "/data/t?a[]=1",
        "/data/t?" + "a" + "[x]" * 40 + "=1",
        "/data/t?a=%00",
        "/data/t?a%00=1",
        "/data/t%00",
        "/data/" + "k" * 256,
        "/data/t?%ZZ",
    ],
)
def test_parse_rejects(path: str) -> None:
    with pytest.raises(PathError):
        parse_path(path)


def test_compute_rejects_depth() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(40):
        node["a"] = {}
        node = node["a"]
    with pytest.raises(PathError):
        compute_path("t", deep)
