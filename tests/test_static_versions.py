"""The site's own files carry a version in their addresses (`?v=` and a short hash of their
bytes), so a proxy or browser may keep such an address for a year; a new file gets a new
address. Files asked for without the current version keep today's revalidated answer."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

YEAR = "public, max-age=31536000, immutable"
DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def static_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def version(url: str) -> str:
    return parse_qs(urlsplit(url.replace("&amp;", "&")).query)["v"][0]


def test_every_static_address_on_a_page_carries_the_hash_of_its_file(app, client):
    urls = static_urls(client.get("/").get_data(as_text=True))
    assert any(url.startswith("/static/site.css?") for url in urls), urls
    for url in urls:
        path = Path(app.static_folder, urlsplit(url).path.removeprefix("/static/"))
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert digest.startswith(version(url)) and len(version(url)) >= 10, url


def test_a_versioned_file_is_kept_a_year_and_others_as_today(client):
    [url] = [u for u in static_urls(client.get("/").get_data(as_text=True)) if "site.css" in u]
    kept = client.get(url)
    assert kept.status_code == 200 and kept.headers["Cache-Control"] == YEAR
    plain = client.get("/static/site.css")
    assert plain.status_code == 200 and plain.headers["Cache-Control"] == "no-cache"
    # An old or made-up version is not promised for a year: its bytes are today's.
    wrong = client.get("/static/site.css?v=0123456789ab")
    assert wrong.status_code == 200 and wrong.headers["Cache-Control"] == "no-cache"
    # A revalidation of the versioned address says the same.
    again = client.get(url, headers={"If-None-Match": kept.headers["ETag"]})
    assert again.status_code == 304 and again.headers["Cache-Control"] == YEAR
    for response in (kept, plain, wrong):
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_the_home_screen_manifest_names_versioned_icons(client):
    manifest = client.get("/manifest.webmanifest")
    if manifest.status_code == 404:
        pytest.fail("the manifest moved: point this test at it")
    icons = [icon["src"] for icon in manifest.get_json()["icons"]]
    assert icons and all("?v=" in src for src in icons)
    for src in icons:
        assert client.get(src).headers["Cache-Control"] == YEAR


def test_new_bytes_get_a_new_address(new_app, tmp_path):
    folder = tmp_path / "static"
    shutil.copytree(Path(__file__).resolve().parent.parent / "outreach" / "static", folder)

    def served():
        other = new_app()
        other.static_folder = str(folder)
        client = other.test_client()
        [url] = [u for u in static_urls(client.get("/").get_data(as_text=True)) if "site.css" in u]
        body = client.get(url)
        assert body.headers["Cache-Control"] == YEAR
        return url, body.get_data()

    before, old_bytes = served()
    (folder / "site.css").write_bytes(old_bytes + b"\n.added { color: red; }\n")
    after, new_bytes = served()
    assert version(before) != version(after) and new_bytes.endswith(b".added { color: red; }\n")


def test_nginx_keeps_versioned_files_a_year_with_the_same_header():
    conf = (DEPLOY / "nginx" / "outreach.conf").read_text()
    assert f'"{YEAR}"' in conf


def test_a_site_under_a_path_names_its_files_under_that_path(client):
    # Addresses of files are kept per application: by the path the site is served under too.
    # (A page the page cache does not keep, which does not tell the two apart.)
    plain = static_urls(client.get("/my-community").get_data(as_text=True))
    below = client.get("/my-community", base_url="http://localhost/outreach/")
    under = re.findall(r'(?:href|src)="(/outreach/static/[^"]+)"', below.get_data(as_text=True))
    assert plain
    assert sorted(under) == sorted("/outreach" + url for url in plain)
    assert static_urls(client.get("/my-community").get_data(as_text=True)) == plain
