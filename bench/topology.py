"""Many hosts on one machine: `scripts/bench --topology`.

nginx (Debian's nginx-light) on 127.0.0.1, configured from the shipped template
`deploy/nginx/outreach.conf` rendered by `deploy/render.py`, in front of two app instances
(gunicorn with `outreach/gunicorn_conf.py`, each with its own instance folder) sharing one
PostgreSQL database made for the run and Redis on 127.0.0.1:6379 (rate limits and built
feeds, under a key prefix of this run's own, deleted afterwards), plus two `flask deliver`
processes sending texts to a stand-in SMS gateway on 127.0.0.1 that records every message.
It shows:

- a feed through nginx against nginx serving the same bytes as a static file (wrk, in turns;
  medians);
- the instances sharing rate limits and built feeds through Redis;
- what nginx sets, clears and refuses (a forged Host, /metrics from elsewhere, tokens in its
  log, static files);
- `kill -9` of one instance (master and workers) during a read load and a registration burst:
  no failed GET, every resident registered once, every message sent exactly once.

Every process started here is stopped by its id, also when a step fails.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import flask_migrate
import psycopg
import redis
from sqlalchemy import make_url

from bench import burst, generate, wrk
from bench.server import ServerProcess
from outreach import create_app
from outreach.database import db

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEPLOY_DIR = PROJECT_DIR / "deploy"
NGINX_TEMPLATE = DEPLOY_DIR / "nginx" / "outreach.conf"
RESULTS = Path(__file__).with_name("results")
REDIS_URL = os.environ.get("OUTREACH_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
# A documentation address (RFC 5737): /metrics must be refused to everyone else, us included.
METRICS_FROM = "192.0.2.1"
LOGIN_LIMIT = 5  # failed sign-ins per 15 minutes in this run (the app's default is 10)
DELIVERY_WAIT = 180  # seconds for the deliverers to empty the outbox after the burst
# A resident's manage address (made up: the app answers 404, but nginx must not log it).
TOKEN_PATH = "/r/TopologyTokenNotForLogs0123456789"


class NginxMissing(RuntimeError):
    """nginx is not installed (scripts/bench installs Debian's nginx-light)."""


@dataclass(frozen=True)
class Plan:
    """How big and how long."""

    name: str
    scale: str
    seconds: float  # each wrk run
    rounds: int
    load_seconds: float  # the read load during which an instance is killed
    attempts: int
    capacity: int
    judged: bool  # speed judged; correctness always is


FULL = Plan("full", "medium", 5, 3, 12, 400, 100, True)
SHORT = Plan("short", "quick", 1, 1, 5, 80, 20, False)


@dataclass
class Row:
    """One line of the table: a measure, its figure, its target and whether it holds."""

    measure: str
    figure: str
    target: str = ""
    passed: bool | None = None


@dataclass
class Results:
    """The rows of one run, printed as they come."""

    plan: Plan
    rows: list[Row] = field(default_factory=list)

    def add(self, measure: str, figure: str, target: str = "", passed: bool | None = None) -> None:
        """A row; speed rows pass `judged=False` runs as reported only (see `speed`)."""
        row = Row(measure, figure, target, passed)
        self.rows.append(row)
        verdict = {True: "pass", False: "FAIL", None: ""}[passed]
        print(" | ".join(x for x in (measure, figure, target, verdict) if x), flush=True)

    def speed(self, measure: str, figure: str, target: str, passed: bool) -> None:
        """A speed row: judged in the full run only."""
        self.add(measure, figure, target, passed if self.plan.judged else None)

    @property
    def failed(self) -> list[Row]:
        """Rows whose target does not hold."""
        return [row for row in self.rows if row.passed is False]

    def markdown(self, started: str, minutes: float) -> str:
        """The table as Markdown."""
        lines = [
            f"# Topology: nginx, two app instances, two deliverers ({self.plan.name} run)",
            "",
            f"Run on {started}, {minutes:.1f} minutes, {os.cpu_count()} cores; {nginx_version()}.",
            "",
            "| Measure | Figure | Target | Result |",
            "|---|---|---|---|",
        ]
        for row in self.rows:
            verdict = {True: "pass", False: "**FAIL**", None: ""}[row.passed]
            cells = [row.measure, row.figure, row.target, verdict]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Pieces: the rendered template, nginx, the gateway, the deliverers


def nginx_executable() -> str:
    """The nginx binary, or NginxMissing."""
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None
    )
    if found is None:
        raise NginxMissing(
            "nginx is not installed: run scripts/bench, or apt-get install nginx-light"
        )
    return found


def nginx_version() -> str:
    """nginx's version line, for the table."""
    with contextlib.suppress(NginxMissing, OSError):
        shown = subprocess.run([nginx_executable(), "-v"], capture_output=True, text=True)
        return shown.stderr.strip().removeprefix("nginx version: ")
    return "nginx"


def _renderer():
    """deploy/render.py, loaded from its file (deploy/ is not a package: it ships as files)."""
    spec = importlib.util.spec_from_file_location(
        "outreach_deploy_render", DEPLOY_DIR / "render.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def render_site(values: dict[str, str]) -> str:
    """The shipped nginx template with `values` filled in."""
    return _renderer().render(NGINX_TEMPLATE.read_text(encoding="utf-8"), values)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the moment of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Nginx:
    """nginx in the foreground, its own process group, everything under `folder`.

    The main configuration is this bench's (paths, worker count); the site is the shipped
    template, included as rendered. A second server on `floor_port` serves `floor_dir` as
    plain static files: the floor a cached feed is measured against.
    """

    def __init__(self, folder: Path, site: str, floor_dir: Path, floor_port: int) -> None:
        self.folder = folder
        self.site = site
        self.floor_dir = floor_dir
        self.floor_port = floor_port
        self.process: subprocess.Popen | None = None

    def main_config(self) -> str:
        """nginx.conf: this run's paths around the shipped site."""
        f = self.folder
        # As root nginx would switch its workers to `nobody`, who may not read the checkout.
        user = "user root root;\n" if os.geteuid() == 0 else ""
        temp = "\n".join(
            f"    {kind}_temp_path {f / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        return f"""{user}worker_processes 2;
worker_rlimit_nofile 8192;
pid {f / "nginx.pid"};
error_log {f / "error.log"} warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
{temp}
    include {f / "site.conf"};
    server {{
        listen 127.0.0.1:{self.floor_port};
        # Logged and with open files kept like the site's, so both do the same work.
        access_log {f / "floor.log"} outreach;
        open_file_cache max=10000 inactive=60s;
        open_file_cache_valid 10s;
        root {self.floor_dir};
    }}
}}
"""

    def start(self) -> Nginx:
        """Write the configuration, check it (`nginx -t`), start; wait until it answers."""
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "site.conf").write_text(self.site, encoding="utf-8")
        (self.folder / "nginx.conf").write_text(self.main_config(), encoding="utf-8")
        command = [
            nginx_executable(),
            "-p",
            str(self.folder),
            "-c",
            str(self.folder / "nginx.conf"),
        ]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
        if checked.returncode != 0:
            raise RuntimeError(f"nginx -t refused the configuration:\n{checked.stderr}")
        with (self.folder / "stderr.log").open("ab") as log:
            self.process = subprocess.Popen(
                [*command, "-g", "daemon off;"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 15
        while True:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.floor_port), timeout=1),
            ):
                return self
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not start:\n{self.log()}")
            time.sleep(0.05)

    def log(self) -> str:
        """nginx's error log and output, for messages."""
        parts = []
        for name in ("error.log", "stderr.log"):
            with contextlib.suppress(OSError):
                parts.append((self.folder / name).read_text(errors="replace")[-3000:])
        return "\n".join(parts)

    def access_lines(self) -> list[str]:
        """The site's access log (the shipped log format)."""
        try:
            return (self.folder / "access.log").read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return []

    def stop(self) -> None:
        """SIGQUIT (finish what is in flight), then SIGKILL the group after 10 s."""
        if self.process is None:
            return
        _stop_group(self.process, signal.SIGQUIT)
        self.process = None


def _stop_group(process: subprocess.Popen, first: int, timeout: float = 10) -> None:
    """Signal a child we started in its own group, wait, then SIGKILL whatever is left."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, first)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # any child left in its group


class Gateway:
    """A stand-in SMS gateway on 127.0.0.1: answers 200 and records every POST."""

    def __init__(self) -> None:
        self.received: list[dict[str, str]] = []
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"] or 0)))
                with gateway.lock:
                    gateway.received.append(
                        {"key": self.headers.get("Idempotency-Key", ""), "phone": body["phone"]}
                    )
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The webhook's address."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/sms"

    def start(self) -> Gateway:
        """Serve in a thread of this process."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()


class Deliverer:
    """`flask --app app deliver --interval 1` in its own process group."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> Deliverer:
        """Start the loop."""
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "app", "deliver", "--interval", "1"],
                cwd=PROJECT_DIR,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def alive(self) -> bool:
        """Still running."""
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        """The end of its output, for messages."""
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-1500:]
        return ""

    def stop(self) -> None:
        """SIGTERM (it stops between two messages), SIGKILL after 10 s."""
        if self.process is None:
            return
        _stop_group(self.process, signal.SIGTERM)
        self.process = None


# ---------------------------------------------------------------------------------------------
# The shared database and Redis


def make_database(admin_url: str, scale: str) -> tuple[str, generate.Report]:
    """A database of this run's own, migrated and filled at `scale`."""
    name = f"outreach_topology_{os.getpid()}"
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "topology", "DEVELOPMENT": True}
    )
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    report = generate.generate(url, generate.SCALES[scale])
    return url, report


def drop_database(admin_url: str, url: str) -> None:
    """Remove this run's database."""
    name = make_url(url).database
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def redis_keys(client: redis.Redis, tag: str) -> list[bytes]:
    """This run's keys (rate limits and feeds carry `tag` in their prefix)."""
    return list(client.scan_iter(match=f"*{tag}*", count=1000))


def forget_keys(client: redis.Redis, tag: str) -> int:
    """Delete this run's keys, and only them; how many there were."""
    keys = redis_keys(client, tag)
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])
    return len(keys)


def instance_config(tag: str) -> str:
    """instance/config.py of each app instance: this run's Redis prefixes and limits."""
    return (
        f"RATELIMIT_KEY_PREFIX = {tag!r}\n"
        f"FEED_CACHE_PREFIX = {tag + ':feed:'!r}\n"
        f"LOGIN_ATTEMPTS = '{LOGIN_LIMIT} per 15 minutes'\n"
        # One address (127.0.0.1) sends the whole burst: the per-address limit would stop it.
        "REGISTRATION_ATTEMPTS = '100000 per minute'\n"
    )


def gunicorn_config(folder: Path) -> Path:
    """A gunicorn configuration: the shipped one, plus the readiness hook of the bench."""
    path = folder / "gunicorn_topology.py"
    path.write_text(
        "from outreach.gunicorn_conf import *  # noqa: F403  (the shipped settings)\n"
        "from tests.serverproc import post_worker_init  # noqa: F401  (workers ready)\n",
        encoding="utf-8",
    )
    return path


# ---------------------------------------------------------------------------------------------
# HTTP helpers


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET; (status, headers, body), also for error statuses."""
    try:
        with urlopen(Request(url, headers=headers or {}), timeout=60) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except HTTPError as error:
        return error.code, dict(error.headers), error.read()


def post_form(url: str, data: dict[str, str], headers: dict[str, str]) -> int:
    """POST a form; the status."""
    request = Request(
        url,
        data=urlencode(data).encode(),
        headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    try:
        with urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status
    except HTTPError as error:
        return error.code


# ---------------------------------------------------------------------------------------------
# The measurements


def measure_feed(front: str, floor_url: str, feed_path: str, plan: Plan, results: Results):
    """A cached feed through nginx against nginx serving the same bytes as a file."""
    fetched = [get(front + feed_path) for _ in range(3)]
    answers = [headers for _status, headers, _body in fetched]
    size = len(fetched[0][2])
    statuses = [headers.get("X-Cache-Status", "") for headers in answers]
    # A calendar app polling with the tag it holds: 304 from nginx's cache.
    revalidated, headers, _body = get(front + feed_path, {"If-None-Match": answers[-1]["ETag"]})
    statuses.append(f"{revalidated} {headers.get('X-Cache-Status', '')}")
    runs: dict[str, list[wrk.Result]] = {"floor": [], "feed": []}
    for _round in range(plan.rounds):
        for name, url in (("floor", floor_url), ("feed", front + feed_path)):
            runs[name].append(wrk.run(url, seconds=plan.seconds, connections=16))
    rate = {name: statistics.median(r.rate for r in found) for name, found in runs.items()}
    errors = sum(r.errors + r.non_2xx_3xx for found in runs.values() for r in found)
    ratio = rate["feed"] / rate["floor"] if rate["floor"] else 0.0
    results.add(
        f"nginx serving the feed's {size / 1000:,.0f} kB as a static file",
        f"{rate['floor']:,.0f} req/s",
    )
    results.speed(
        "Feed through nginx (answered from its cache), 2 app instances behind",
        f"{rate['feed']:,.0f} req/s = {ratio:.2f}× the static file "
        f"(median of {plan.rounds}); {errors} errors",
        "≥ 0.8× static file",
        ratio >= 0.8 and errors == 0,
    )
    results.add(
        "Feed answered from nginx's cache after the first request",
        " → ".join(statuses),
        "MISS, then HIT; If-None-Match: 304 from the cache",
        statuses[0] in ("MISS", "EXPIRED") and statuses[1:] == ["HIT", "HIT", "304 HIT"],
    )


def failed_sign_ins(bases: list[str], username: str, forged: bool) -> list[int]:
    """Wrong passwords from one browser, to each base URL in turn; the answers. `forged`: each
    claims another client address in X-Forwarded-For, as someone dodging the limit would."""
    _status, headers, page = get(bases[0] + "/staff/login")
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
    form = {"username": username, "password": "not the password"}
    form["csrf_token"] = token[1].decode() if token else ""
    cookie = headers.get("Set-Cookie", "").split(";", 1)[0]
    statuses = []
    for attempt in range(LOGIN_LIMIT * 2 + 1):
        extra = {"X-Forwarded-For": f"203.0.113.{attempt + 1}"} if forged else {}
        url = bases[attempt % len(bases)] + "/staff/login"
        statuses.append(post_form(url, form, {"Cookie": cookie, **extra}))
    return statuses


def _sign_in_posts(server: ServerProcess) -> int:
    return sum(1 for _pid, line, _status in server.requests_served() if "POST /staff/login" in line)


def check_shared_limits(
    a: ServerProcess, b: ServerProcess, front: str, report, forget, results: Results
) -> None:
    """Failed sign-ins are counted together by both instances: sent to each in turn, and
    through nginx with forged X-Forwarded-For headers (nginx replaces them)."""
    target = f"429 from attempt {LOGIN_LIMIT + 1} (alone, each would allow {LOGIN_LIMIT})"
    for label, bases, forged, username in (
        ("sent to instance A and B in turn", [a.url, b.url], False, report.admin_username),
        ("through nginx, each with a forged X-Forwarded-For", [front], True, "nobody"),
    ):
        forget()  # the counts of the step before
        before = (_sign_in_posts(a), _sign_in_posts(b))
        statuses = failed_sign_ins(bases, username, forged)
        served = (_sign_in_posts(a) - before[0], _sign_in_posts(b) - before[1])
        first_refused = statuses.index(429) + 1 if 429 in statuses else None
        results.add(
            f"Failed sign-ins {label} (limit {LOGIN_LIMIT} per 15 min)",
            f"answers {' '.join(map(str, statuses))}; first 429 at attempt {first_refused}; "
            f"A answered {served[0]}, B {served[1]}",
            target,
            first_refused == LOGIN_LIMIT + 1
            and set(statuses[LOGIN_LIMIT:]) == {429}
            and min(served) > 0,
        )


def check_shared_feed_cache(
    a: ServerProcess, b: ServerProcess, feed_path: str, client: redis.Redis, tag: str, results
):
    """A feed built on instance A is served from Redis by instance B, not built again."""
    for key in client.scan_iter(match=f"{tag}:feed:*"):
        client.delete(key)
    status_a, headers_a, body_a = get(a.url + feed_path)
    keys = list(client.scan_iter(match=f"{tag}:feed:*"))
    before = client.pttl(keys[0]) if keys else -1
    time.sleep(1.2)
    status_b, headers_b, body_b = get(b.url + feed_path)
    after_keys = list(client.scan_iter(match=f"{tag}:feed:*"))
    after = client.pttl(keys[0]) if keys else -1
    idle = client.object("idletime", keys[0]) if keys else None
    # A build on B would have stored the entry again, resetting its expiry to the full TTL.
    kept = keys and len(after_keys) == len(keys) and after <= before - 1000 and idle == 0
    results.add(
        "Feed built on instance A, then asked of instance B",
        f"A {status_a}, B {status_b}, same bytes: {body_a == body_b}, same ETag: "
        f"{headers_a.get('ETag') == headers_b.get('ETag')}; {len(keys)} Redis entry, its expiry "
        f"{before / 1000:.1f} s → {after / 1000:.1f} s (not stored again), read {idle} s ago",
        "B answers from the shared cache",
        bool(status_a == status_b == 200 and body_a == body_b and kept),
    )


def check_edges(nginx: Nginx, front: str, token_path: str, results: Results) -> None:
    """What nginx refuses, sets and logs, as the template says."""
    metrics, _h, _b = get(front + "/metrics")
    forged, _h, _b = get(front + "/healthz", {"Host": "evil.example"})
    health, _h, health_body = get(front + "/healthz")
    static, static_headers, _b = get(front + "/static/site.css")
    personal, personal_headers, _b = get(front + token_path)
    time.sleep(0.5)  # nginx writes its log line after the answer
    secret = token_path.rsplit("/", 1)[1]
    logged = [line for line in nginx.access_lines() if "/r/" in line]
    results.add(
        "nginx: /metrics from an address not allowed; a forged Host; /healthz",
        f"{metrics}; {forged}; {health} {health_body.decode(errors='replace').strip()}",
        "403; 400 (the app refuses it); 200",
        metrics == 403 and forged == 400 and health == 200,
    )
    results.add(
        "nginx: a static file; a resident's page",
        f"{static}, Cache-Control {static_headers.get('Cache-Control')!r}; {personal}, "
        f"cache {personal_headers.get('X-Cache-Status', 'off')!r}, "
        f"{len(logged)} log lines for /r/, token in the log: {any(secret in x for x in logged)}",
        "static from nginx with max-age; /r/ never cached, its token not logged",
        static == 200
        and "max-age" in static_headers.get("Cache-Control", "")
        and "X-Cache-Status" not in personal_headers
        and bool(logged)
        and not any(secret in line for line in logged),
    )


def _saved(url: str, session_id: int) -> int:
    with burst.connect(url) as connection:
        return connection.execute(
            "SELECT count(*) FROM registration WHERE session_id = %s", (session_id,)
        ).fetchone()[0]


def _outbox(url: str, session_id: int) -> list[tuple[int, str, str]]:
    """(message id, status, phone) of every message to the session's registrants."""
    with burst.connect(url) as connection:
        return connection.execute(
            "SELECT m.id, m.status, r.phone FROM message m JOIN registration r"
            " ON r.id = m.registration_id WHERE r.session_id = %s",
            (session_id,),
        ).fetchall()


def kill_during_load(
    url: str,
    nginx: Nginx,
    front_port: int,
    victim: ServerProcess,
    read_path: str,
    session_id: int,
    gateway: Gateway,
    deliverers: list[Deliverer],
    plan: Plan,
    results: Results,
) -> None:
    """kill -9 of one instance during a read load and a burst; nothing lost, nothing twice."""
    front = f"http://127.0.0.1:{front_port}"
    loaded: list[wrk.Result] = []
    first: list[burst.Attempt] = []
    # A signed-in visitor's cookie: nginx passes every such read to an instance.
    reader = threading.Thread(
        target=lambda: loaded.append(
            wrk.run(
                front + read_path,
                seconds=plan.load_seconds,
                connections=8,
                headers={"Cookie": "outreach_session=topology-reader"},
            )
        )
    )
    sender = threading.Thread(
        target=lambda: first.extend(burst.burst(front_port, session_id, range(plan.attempts), 90))
    )
    reader.start()
    time.sleep(plan.load_seconds / 4)
    sender.start()
    deadline = time.monotonic() + 60
    saved_at_kill = 0
    while sender.is_alive() and time.monotonic() < deadline:
        saved_at_kill = _saved(url, session_id)
        if saved_at_kill >= plan.attempts // 5:
            break
        time.sleep(0.01)
    victim_pids = [victim.pid, *victim.worker_pids()]
    os.killpg(victim.pid, signal.SIGKILL)  # the whole host: master and workers at once
    sender.join()
    reader.join()
    # Residents without an answer, or with a 502 (their request reached the killed instance),
    # try again, as phones do; one whose first try was saved is told it is a duplicate.
    again = [i for i, a in enumerate(first) if a.status is None or a.status >= 500]
    second = burst.burst(front_port, session_id, again, 90) if again else []
    answers = first + second
    outcome = burst.check(url, session_id, plan.capacity, answers)
    phones = ["+86" + burst.phone_number(i) for i in range(plan.attempts)]
    with burst.connect(url) as connection:
        registered = connection.execute(
            "SELECT count(DISTINCT phone) FROM registration WHERE session_id = %s"
            " AND phone = ANY(%s) AND status <> 'cancelled'",
            (session_id, phones),
        ).fetchone()[0]
    load = loaded[0] if loaded else None
    retried = sum(
        1 for line in nginx.access_lines() if read_path in line and re.search(r":\d+, 127", line)
    )
    failed_gets = (load.errors + load.non_2xx_3xx) if load else -1
    results.add(
        f"Read load through nginx ({read_path}, wrk {plan.load_seconds:.0f} s) while one "
        f"instance is killed (kill -9 of {len(victim_pids)} processes)",
        f"{load.requests if load else 0:,} GETs, {failed_gets} failed; {retried} passed on to "
        "the other instance by nginx",
        "0 failed GETs; nginx passed some on",
        load is not None and failed_gets == 0 and load.requests > 0 and retried > 0,
    )
    statuses = dict(burst.summary(answers))
    results.add(
        f"Registration burst of {plan.attempts} through nginx for {plan.capacity} seats, "
        f"instance killed at {saved_at_kill} saved; {len(again)} without an answer tried again",
        f"{registered} of {plan.attempts} registered once; {outcome.confirmed_seats} confirmed "
        f"seats; answers {statuses}"
        + (f"; {'; '.join(outcome.problems[:3])}" if outcome.problems else ""),
        "everyone registered once, none lost or doubled, none over capacity",
        outcome.ok
        and registered == plan.attempts
        and outcome.confirmed_seats == plan.capacity
        and 0 < saved_at_kill < plan.attempts,
    )
    check_delivery(url, session_id, gateway, deliverers, results)


def check_delivery(
    url: str, session_id: int, gateway: Gateway, deliverers: list[Deliverer], results: Results
) -> None:
    """Every message of the burst sent, each exactly once, by the two deliverers."""
    deadline = time.monotonic() + DELIVERY_WAIT
    while True:
        outbox = _outbox(url, session_id)
        waiting = [row for row in outbox if row[1] in ("pending", "sending")]
        if not waiting or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    with gateway.lock:
        received = list(gateway.received)
    keys = Counter(item["key"] for item in received)
    expected = {f"outreach-message-{row[0]}" for row in outbox}
    got = {key for key in keys if key in expected}
    twice = [key for key, count in keys.items() if count > 1]
    statuses = Counter(row[1] for row in outbox)
    phones_ok = Counter(row[2] for row in outbox) == Counter(
        item["phone"] for item in received if item["key"] in expected
    )
    alive = sum(1 for deliverer in deliverers if deliverer.alive())
    if alive < len(deliverers) or waiting:
        for deliverer in deliverers:
            print(f"deliverer log:\n{deliverer.log()}", file=sys.stderr)
    results.add(
        f"Texts of the burst sent by two deliverers ({alive} running) to the stand-in gateway",
        f"{len(outbox)} in the outbox ({dict(statuses)}); gateway got {len(got)} of them, "
        f"{len(twice)} twice",
        "every message sent exactly once",
        bool(outbox)
        and got == expected
        and not twice
        and statuses == Counter({"sent": len(outbox)})
        and alive == len(deliverers)
        and phones_ok,
    )


# ---------------------------------------------------------------------------------------------
# The run


def app_env(base_url: str, gateway: Gateway) -> dict[str, str]:
    """What every instance and deliverer shares (deploy/outreach.env in production)."""
    return {
        "OUTREACH_BASE_URL": base_url,
        "OUTREACH_PROXY_FIX": "1",
        "OUTREACH_RATELIMIT_ENABLED": "true",
        "OUTREACH_RATELIMIT_STORAGE_URL": REDIS_URL,
        "OUTREACH_CACHE_URL": REDIS_URL,
        "OUTREACH_SMS_WEBHOOK_URL": gateway.url,
        # No codes texted before registering: the burst uses made-up numbers.
        "OUTREACH_VERIFY_PHONES": "false",
    }


def run(admin_url: str, plan: Plan, output: Path) -> Results:
    """Everything above, in order; every process stopped and the database dropped at the end."""
    results = Results(plan)
    started = time.strftime("%Y-%m-%d %H:%M %Z")
    began = time.monotonic()
    nginx_executable()
    folder = Path(tempfile.mkdtemp(prefix="outreach-topology-"))
    tag = f"outreach-topology-{os.getpid()}"
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()
    stack = contextlib.ExitStack()
    url = None
    try:
        url, report = make_database(admin_url, plan.scale)
        forget_keys(client, tag)
        stack.callback(forget_keys, client, tag)
        gateway = Gateway().start()
        stack.callback(gateway.stop)
        front_port, floor_port = free_port(), free_port()
        front = f"http://127.0.0.1:{front_port}"
        env = app_env(front, gateway)
        config = gunicorn_config(folder)
        servers = []
        for name in ("a", "b"):
            instance = folder / f"instance-{name}"
            instance.mkdir()
            (instance / "config.py").write_text(instance_config(tag), encoding="utf-8")
            server = ServerProcess(
                url, instance, workers=2, env=env, config=config, start_timeout=90
            )
            stack.callback(server.stop)
            servers.append(server.start())
        a, b = servers
        floor_dir = folder / "floor"
        floor_dir.mkdir()
        feed_path = report.feed_path
        _status, _headers, feed_body = get(a.url + feed_path)
        (floor_dir / "feed.ics").write_bytes(feed_body)
        site = render_site(
            {
                "SERVER_NAME": "127.0.0.1",
                "LISTEN": f"127.0.0.1:{front_port}",
                "APP_1": f"127.0.0.1:{a.port}",
                "APP_2": f"127.0.0.1:{b.port}",
                "STATIC_DIR": str(PROJECT_DIR / "outreach" / "static") + "/",
                "CACHE_DIR": str(folder / "nginx" / "cache"),
                "ACCESS_LOG": str(folder / "nginx" / "access.log"),
                "METRICS_FROM": METRICS_FROM,
            }
        )
        nginx = Nginx(folder / "nginx", site, floor_dir, floor_port).start()
        stack.callback(nginx.stop)
        measure_feed(front, f"http://127.0.0.1:{floor_port}/feed.ics", feed_path, plan, results)
        check_shared_limits(
            a, b, front, report, lambda: forget_keys(client, f"LIMITER*{tag}"), results
        )
        check_shared_feed_cache(a, b, feed_path, client, tag, results)
        session_id = report.burst_session_id
        # The deliverers start now, so that they do not weigh on the timings above.
        deliverers = []
        for index in range(2):
            deliverer_env = {k: v for k, v in os.environ.items() if not k.startswith("OUTREACH_")}
            deliverer_env.update(a.environment())
            deliverer_env["OUTREACH_INSTANCE_PATH"] = str(servers[index].instance_path)
            deliverer = Deliverer(deliverer_env, folder / f"deliver-{index}.log").start()
            stack.callback(deliverer.stop)
            deliverers.append(deliverer)

        with burst.connect(url) as connection:
            connection.execute(
                "UPDATE event_session SET capacity = %s WHERE id = %s", (plan.capacity, session_id)
            )
            connection.commit()
        kill_during_load(
            url,
            nginx,
            front_port,
            a,
            # Residents reading the seats left while others register: cheap enough that many
            # reads are in flight when the instance dies.
            f"/api/v1/sessions/{session_id}",
            session_id,
            gateway,
            deliverers,
            plan,
            results,
        )
        check_edges(nginx, front, TOKEN_PATH, results)
    finally:
        stack.close()
        if url is not None:
            drop_database(admin_url, url)
        client.close()
        shutil.rmtree(folder, ignore_errors=True)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(results.markdown(started, (time.monotonic() - began) / 60), encoding="utf-8")
    return results


def main(admin_url: str, *, short: bool, output: Path | None) -> int:
    """`scripts/bench --topology [--quick]`: run, print where the table is; 1 on a failure."""
    plan = SHORT if short else FULL
    output = output or RESULTS / f"topology{'-quick' if short else ''}.md"
    results = run(admin_url, plan, output)
    print(f"\nResults written to {output}")
    for row in results.failed:
        print(f"FAILED: {row.measure}: {row.figure} (target {row.target})", file=sys.stderr)
    return 1 if results.failed else 0
