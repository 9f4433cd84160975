"""Versioned addresses for the site's own files (styles, scripts, icons).

`url_for("static", filename=…)` adds `v=`, a short hash of the file's bytes, read once per
file per process (again when the file changes, in debug mode). Such an address always names
the same bytes, so its answer may be kept a year (`immutable`); nginx serves it the same way
(deploy/nginx/outreach.conf). A file asked for without a version, or with another one than
today's, keeps the usual answer, revalidated each time. A file that does not exist gets no
version, and its address is left as it was.
"""

from __future__ import annotations

import hashlib
import os
import threading
from typing import Any

from flask import Flask, Response, current_app, has_request_context, request
from werkzeug.security import safe_join

# Enough hex digits that two versions of one file never meet by chance (48 bits).
HASH_LENGTH = 12
KEPT_A_YEAR = "public, max-age=31536000, immutable"
ENDPOINT = "static"


class Versions:
    """The versions of one application's files, computed once and kept (thread-safe)."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[int, str | None]] = {}
        self._lock = threading.Lock()

    def of(self, app: Flask, filename: str) -> str | None:
        """The version of a file under the app's static folder; None when there is none."""
        known = self._known.get(filename)
        if known is not None and not app.debug:
            return known[1]
        path = safe_join(app.static_folder or "", filename)
        try:
            changed = os.stat(path).st_mtime_ns if path else -1
        except OSError:
            changed = -1
        if known is not None and known[0] == changed:
            return known[1]
        value = _digest(path) if changed >= 0 else None
        with self._lock:
            self._known[filename] = (changed, value)
        return value


def _digest(path: str | None) -> str | None:
    try:
        with open(path or "", "rb") as file:
            return hashlib.file_digest(file, "sha256").hexdigest()[:HASH_LENGTH]
    except OSError:  # a folder, or unreadable: served as today, unversioned
        return None


def init_app(app: Flask) -> None:
    app.extensions["static_versions"] = Versions()
    app.url_defaults(_add_version)
    app.after_request(_keep_versioned)
    app.jinja_env.globals["url_for"] = _template_url_for(app)


# Addresses of files kept per application, emptied past this many.
MAX_ADDRESSES = 512


def _template_url_for(app: Flask) -> Any:
    """The templates' `url_for`, keeping the address of each file as a page in a request
    writes it (`url_for("static", filename=…)`: by the request's script root and the file):
    a page names a dozen, each built by Werkzeug again, and the address changes only with
    the file's bytes. In debug mode, where files change under a running app, nothing is
    kept."""
    build = app.url_for
    kept: dict[tuple[str, str], str] = {}

    def url_for(endpoint: str, **values: Any) -> str:
        filename = values.get("filename")
        if (
            endpoint != ENDPOINT
            or len(values) != 1
            or not isinstance(filename, str)
            or app.debug
            or not has_request_context()
        ):
            return build(endpoint, **values)
        key = (request.script_root, filename)
        found = kept.get(key)
        if found is None:
            found = build(endpoint, **values)
            if len(kept) >= MAX_ADDRESSES:
                kept.clear()
            kept[key] = found
        return found

    return url_for


def version_of(filename: str) -> str | None:
    """The current version of a static file of the current application."""
    return current_app.extensions["static_versions"].of(current_app, filename)


def _add_version(endpoint: str, values: dict[str, Any]) -> None:
    if endpoint != ENDPOINT or "v" in values or not values.get("filename"):
        return
    found = version_of(values["filename"])
    if found is not None:
        values["v"] = found


def _keep_versioned(response: Response) -> Response:
    """A year, unchanged, for a file asked for by its current version."""
    if request.endpoint != ENDPOINT or response.status_code not in (200, 304, 206):
        return response
    wanted = request.args.get("v")
    filename = (request.view_args or {}).get("filename")
    if wanted and filename and wanted == version_of(filename):
        response.headers["Cache-Control"] = KEPT_A_YEAR
    return response
