"""A plain (non-editable) install carries what the pages need: templates, static files,
migrations and compiled catalogues, which are not committed and so must come from the build.

Builds one wheel from a copy of the sources, once per run (no database fixture); pip fetches
the build requirements (setuptools, Babel) through its configured index.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "outreach"
BUILD_FILES = ["pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "babel.cfg"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from the sources alone: no compiled catalogues, no earlier build/ folder."""
    source = tmp_path_factory.mktemp("source")
    for name in BUILD_FILES:
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(
        PACKAGE,
        source / "outreach",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo"),
    )
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (built,) = out.glob("outreach-*.whl")
    return built


def _files_under(folder: str) -> set[str]:
    base = PACKAGE / folder
    return {
        f"outreach/{folder}/{path.relative_to(base).as_posix()}"
        for path in base.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_wheel_holds_templates_static_files_and_migrations(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert _files_under("templates") <= names
    assert _files_under("static") <= names
    assert "outreach/templates/events/event.html" in names
    assert {
        "outreach/migrations/alembic.ini",
        "outreach/migrations/script.py.mako",
        "outreach/migrations/env.py",
    } <= names
    versions = {n for n in _files_under("migrations/versions") if n.endswith(".py")}
    assert versions and versions <= names


def test_wheel_holds_the_compiled_catalogues_and_not_their_sources(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for language in ("zh", "en"):
            path = f"outreach/translations/{language}/LC_MESSAGES/messages.mo"
            assert path in names
            with archive.open(path) as handle:
                catalogue = read_mo(handle)
            assert len(catalogue) > 100
        with archive.open("outreach/translations/zh/LC_MESSAGES/messages.mo") as handle:
            assert read_mo(handle).get("Community Outreach").string == "社区活动"
    assert not [name for name in names if name.endswith((".po", ".pot"))]


def test_the_unpacked_wheel_serves_pages_in_both_languages(wheel, tmp_path):
    """The installed layout alone (not this checkout) renders pages, runs migrations, translates."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    script = textwrap.dedent(
        """
        import sys, flask_migrate, outreach
        from outreach import create_app
        assert outreach.__file__.startswith(sys.argv[1]), outreach.__file__
        app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[2], "SECRET_KEY": "x"})
        with app.app_context():
            flask_migrate.upgrade()
        client = app.test_client()
        zh = client.get("/").get_data(as_text=True)
        en = client.get("/?lang=en").get_data(as_text=True)
        css = client.get("/static/site.css")
        print("zh" if "社区近期活动" in zh else "no-zh", "en" if "What's on" in en else "no-en",
              css.status_code)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(site), str(tmp_path / "db.sqlite3")],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "OUTREACH_INSTANCE_PATH": str(tmp_path / "instance")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["zh", "en", "200"]
