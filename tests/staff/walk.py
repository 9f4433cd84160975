"""Reading a staff list in keyset pages as a person does: follow "Next" to the end and
"Previous" back, collecting the rows each page shows."""

from __future__ import annotations

import html
import re

_LINK = re.compile(r'<a rel="(next|prev)" href="([^"]+)"')


def links(response) -> dict[str, str]:
    """The pager's next and previous links of a page (unescaped)."""
    text = response.get_data(as_text=True)
    return {rel: html.unescape(href) for rel, href in _LINK.findall(text)}


def rows(response, pattern: str) -> list[str]:
    """What `pattern`'s first group finds on the page, in page order."""
    return re.findall(pattern, response.get_data(as_text=True))


def walk(client, url: str, pattern: str) -> tuple[list[list[str]], list[str]]:
    """Every page from `url` by "Next", then the pages back by "Previous"; returns the
    pages' rows going forward, and the URLs of the forward pages."""
    pages, urls = [], []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        pages.append(rows(response, pattern))
        urls.append(url)
        url = links(response).get("next")
        assert len(pages) < 100, "the pager does not end"
    return pages, urls


def walk_back(client, url: str, pattern: str) -> list[list[str]]:
    """From the page at `url`, the pages before it by "Previous", nearest first."""
    pages = []
    url = links(client.get(url)).get("prev")
    while url:
        response = client.get(url)
        assert response.status_code == 200
        pages.append(rows(response, pattern))
        url = links(response).get("prev")
        assert len(pages) < 100
    return pages
