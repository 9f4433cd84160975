"""deploy/: the templates render only when every placeholder has a value, the environment
file names every setting, and the systemd units keep their hardening."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from outreach.config import ENVIRONMENT

DEPLOY_DIR = Path(__file__).resolve().parent.parent / "deploy"
UNITS = (
    "outreach-web.service",
    "outreach-deliver.service",
    "outreach-digest.service",
    "outreach-purge.service",
)


def _renderer():
    spec = importlib.util.spec_from_file_location("deploy_render", DEPLOY_DIR / "render.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_template_with_a_placeholder_left_out_is_refused():
    render = _renderer()
    text = (DEPLOY_DIR / "nginx" / "outreach.conf").read_text()
    values = dict.fromkeys(render.placeholders(text), "x")
    del values["METRICS_FROM"]
    with pytest.raises(render.RenderError, match="no value for METRICS_FROM"):
        render.render(text, values)
    with pytest.raises(render.RenderError, match="no placeholder for TYPO"):
        render.render(text, {**values, "METRICS_FROM": "x", "TYPO": "x"})


def test_the_nginx_template_renders_with_every_value_given():
    render = _renderer()
    text = (DEPLOY_DIR / "nginx" / "outreach.conf").read_text()
    values = {name: f"value-of-{name}" for name in render.placeholders(text)}
    rendered = render.render(text, values)
    assert "@" not in re.sub(r"#.*", "", rendered)
    assert "allow value-of-METRICS_FROM;" in rendered


def test_the_nginx_template_never_retries_a_post_and_clears_forwarded_host():
    text = (DEPLOY_DIR / "nginx" / "outreach.conf").read_text()
    directives = re.sub(r"#.*", "", text)
    retry = re.search(r"proxy_next_upstream ([^;]+);", directives)[1]
    assert "non_idempotent" not in retry and "http_500" not in retry
    for cleared in ("X-Forwarded-Host", "X-Forwarded-Port", "X-Forwarded-Prefix", "Forwarded"):
        assert f'proxy_set_header {cleared} "";' in directives
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in directives
    # nginx's own defaults keep private, no-store and Set-Cookie answers out of the cache.
    assert "proxy_ignore_headers" not in directives and "proxy_cache_valid" not in directives


def test_the_environment_file_names_every_setting():
    text = (DEPLOY_DIR / "outreach.env").read_text()
    missing = [name for name in ENVIRONMENT if f"OUTREACH_{name}" not in text]
    assert missing == []
    for required in ("DATABASE_URL", "SECRET_KEY", "BASE_URL", "PROXY_FIX", "CACHE_URL"):
        assert re.search(rf"^OUTREACH_{required}=", text, re.MULTILINE), required


@pytest.mark.parametrize("unit", UNITS)
def test_a_systemd_unit_renders_and_keeps_its_hardening(unit):
    render = _renderer()
    text = (DEPLOY_DIR / "systemd" / unit).read_text()
    values = {name: f"/x/{name.lower()}" for name in render.placeholders(text)}
    rendered = render.render(text, values)
    for option in ("NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes"):
        assert option in rendered
    assert "ReadWritePaths=/x/instance_dir" in rendered
    assert "EnvironmentFile=/x/env_file" in rendered
