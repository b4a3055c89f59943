"""The API reference works offline: /docs (Swagger UI) and /redoc load every script, style and
icon from the server itself (the fastapi-offline package), none from a CDN."""

from __future__ import annotations

import re

import httpx
import pytest

# Every URL a page loads: script and stylesheet sources, icons, the document itself.
ASSET = re.compile(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']|\burl:\s*["']([^"']+)["']""")
EXTERNAL = re.compile(r"(?:https?:)?//[\w.-]+\.\w+")
CONTENT_TYPES = {
    ".js": ("text/javascript", "application/javascript"),
    ".css": ("text/css",),
    ".png": ("image/png",),
    ".json": ("application/json",),
}
# What each page's main script must define, so an empty or wrong file is caught too.
MAIN_SCRIPT = {"/docs": "SwaggerUIBundle", "/redoc": "Redoc"}


def assets(page: str) -> list[str]:
    return [src or url for src, url in ASSET.findall(page)]


def test_asset_pattern_finds_what_a_page_loads() -> None:
    page = (
        '<link rel="stylesheet" href="/a.css"><script src="/a.js"></script>'
        "<redoc spec-url='/openapi.json'></redoc> SwaggerUIBundle({ url: '/openapi.json' })"
    )
    assert assets(page) == ["/a.css", "/a.js", "/openapi.json", "/openapi.json"]
    assert EXTERNAL.search('<script src="https://cdn.example.org/x.js">')
    assert EXTERNAL.search('<link href="//fonts.example.com/css">')


@pytest.mark.parametrize("page_path", ["/docs", "/redoc"])
async def test_reference_page_loads_only_local_assets(
    client: httpx.AsyncClient, page_path: str
) -> None:
    page = await client.get(page_path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert EXTERNAL.findall(page.text) == []
    found = assets(page.text)
    suffixes = {url.rsplit(".", 1)[-1] for url in found}
    assert {"js", "json"} <= suffixes, found
    main_script = ""
    for url in found:
        assert url.startswith("/") and not url.startswith("//"), url
        response = await client.get(url)
        assert response.status_code == 200, url
        suffix = "." + url.rsplit(".", 1)[-1]
        expected = CONTENT_TYPES[suffix]
        assert response.headers["content-type"].split(";")[0] in expected, (url, response.headers)
        assert response.content, url
        if suffix == ".js" and MAIN_SCRIPT[page_path] in response.text:
            main_script = url
    assert main_script, f"{page_path} loads no script defining {MAIN_SCRIPT[page_path]}"
