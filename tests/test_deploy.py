"""docs/deploy.md, followed in a sandbox: its commands, files, units and nginx site, checked through TLS.

Blocks marked `root` (packages, users, systemctl, the PostgreSQL superuser) are what a sandbox cannot
do; their equivalent is done here by hand: the database comes from the test server, and the units'
ExecStart lines are started as plain processes.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from databases import fresh_database, on_postgresql

ROOT = Path(__file__).parents[1]
DOC = ROOT / "docs" / "deploy.md"
BLOCK = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```", re.S | re.M)

pytestmark = [
    pytest.mark.skipif(not on_postgresql(), reason="production runs on PostgreSQL"),
    pytest.mark.skipif(not shutil.which("nginx") and not os.environ.get("CI"), reason="needs Debian's nginx"),
]


def blocks() -> list[tuple[str, str, str]]:
    """(language, marks, text) of each fenced block of the guide, in order."""
    return [(lang, marks.strip(), text) for lang, marks, text in BLOCK.findall(DOC.read_text(encoding="utf-8"))]


def test_the_guide_names_every_file_and_command_the_check_runs():
    files = [marks.split("=", 1)[1] for _, marks, _ in blocks() if marks.startswith("file=")]
    assert files == ["/etc/tracker/tracker.env", "/etc/systemd/system/tracker-web.service",
                     "/etc/systemd/system/tracker-scheduler.service", "/etc/nginx/sites-available/tracker",
                     "/etc/systemd/journald.conf.d/tracker.conf"]
    assert sum(1 for lang, marks, _ in blocks() if lang == "sh" and marks == "") == 6


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sandbox:
    """The guide's absolute paths moved under one folder, and its ports moved to free ones."""

    def __init__(self, root: Path, database_url: str):
        self.root = root
        self.web_port, self.http_port, self.https_port = _free_port(), _free_port(), _free_port()
        self.database_url = database_url

    def path(self, text: str) -> str:
        for prefix in ("/srv/tracker", "/etc/tracker", "/var/backups/tracker", "/etc/nginx/sites-available",
                       "/etc/systemd"):
            text = text.replace(prefix, f"{self.root}{prefix}")
        return text

    def write(self, target: str, text: str) -> Path:
        path = Path(self.path(target))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.path(text), encoding="utf-8")
        return path

    def environment(self, env_file: Path) -> dict[str, str]:
        values = {}
        for line in env_file.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                key, _, value = line.partition("=")
                values[key] = value
        return {**{k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}, **values}


def _get(url: str, **headers) -> tuple[int, dict, bytes]:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # the guide's self-signed certificate
    request = urllib.request.Request(url, headers=headers)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), NoRedirect)
    try:
        with opener.open(request, timeout=15) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


def _wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if _get(url)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


def test_the_deployment_guide_works_in_a_sandbox(tmp_path):
    sandbox = Sandbox(tmp_path, fresh_database(tmp_path))
    # The release: this checkout's files, as a tarball or a clone would put them.
    shutil.copytree(ROOT, sandbox.path("/srv/tracker/app"), ignore=shutil.ignore_patterns(
        ".git", ".venv", "instance", "build", "__pycache__", ".pytest_cache", "*.egg-info", "node_modules"))
    Path(sandbox.path("/srv/tracker/uploads")).mkdir(parents=True)
    Path(sandbox.path("/var/backups/tracker")).mkdir(parents=True)

    files: dict[str, Path] = {}
    commands: list[str] = []
    for lang, marks, text in blocks():
        if marks.startswith("file="):
            target = marks.split("=", 1)[1]
            if target.endswith("tracker.env"):
                text = re.sub(r"^TRACKER_DATABASE_URL=.*$", f"TRACKER_DATABASE_URL={sandbox.database_url}", text, flags=re.M)
                text = re.sub(r"^TRACKER_SECRET_KEY=.*$", "TRACKER_SECRET_KEY=" + "5e" * 32, text, flags=re.M)
                text = re.sub(r"^TRACKER_SMTP_HOST=.*$", "", text, flags=re.M)  # mail waits in the outbox
                text = text.replace("127.0.0.1:8000", f"127.0.0.1:{sandbox.web_port}")
            files[target] = sandbox.write(target, text)
        elif lang == "sh" and marks == "":
            commands.append(text)
    env = sandbox.environment(files["/etc/tracker/tracker.env"])
    assert env["TRACKER_WEB_BIND"] == f"127.0.0.1:{sandbox.web_port}"

    def run(script: str) -> str:
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", sandbox.path(script)], env=env, text=True,
                              capture_output=True, timeout=600)
        assert done.returncode == 0, (script, done.stdout[-3000:], done.stderr[-3000:])
        return done.stdout

    install, first_start, certificate, upgrade, backup, restore = commands
    run(install)
    run(certificate)
    first = run(first_start)
    assert "vpdp@langson.gov.vn: " in first and "Mật khẩu: " in first

    def counts() -> tuple[int, str]:
        out = run("cd /srv/tracker/app && /srv/tracker/venv/bin/flask --app wsgi shell <<'PY'\n"
                  "import sqlalchemy as sa; from tracker.extensions import db\n"
                  "print('COUNTS', db.session.scalar(sa.text('SELECT count(*) FROM task')), "
                  "db.session.scalar(sa.text('SELECT string_agg(email, \\',\\') FROM \"user\"')))\nPY")
        tasks, emails = re.search(r"COUNTS (\d+) (\S+)", out).groups()
        return int(tasks), emails

    seeded = counts()
    assert seeded[0] > 0 and seeded[1] == "vpdp@langson.gov.vn"

    services, logs = [], []
    try:
        for unit in ("tracker-web", "tracker-scheduler"):
            text = files[f"/etc/systemd/system/{unit}.service"].read_text(encoding="utf-8")
            settings = dict(re.findall(r"^(\w+)=(.*)$", text, re.M))
            assert Path(settings["EnvironmentFile"]) == files["/etc/tracker/tracker.env"]
            logs.append(open(tmp_path / f"{unit}.log", "w"))
            services.append(subprocess.Popen(settings["ExecStart"].split(), cwd=settings["WorkingDirectory"], env=env,
                                             stdout=subprocess.DEVNULL, stderr=logs[-1]))
        site = files["/etc/nginx/sites-available/tracker"].read_text(encoding="utf-8")
        site = site.replace("listen 80;", f"listen 127.0.0.1:{sandbox.http_port};")
        site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{sandbox.https_port} ssl http2;")
        site = site.replace("https://$host$request_uri", f"https://$host:{sandbox.https_port}$request_uri")
        site = site.replace("http://127.0.0.1:8000", f"http://127.0.0.1:{sandbox.web_port}")
        conf = tmp_path / "nginx.conf"
        conf.write_text(f"""
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/nginx-error.log;
{"user root;" if os.getuid() == 0 else ""}
events {{}}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    {site}
}}
""", encoding="utf-8")
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        check = subprocess.run([nginx, "-t", "-c", str(conf), "-p", str(tmp_path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        services.append(subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp_path), "-g", "daemon off;"],
                                         stderr=subprocess.DEVNULL))
        https = f"https://127.0.0.1:{sandbox.https_port}"
        _wait_for(f"{https}/healthz")

        status, headers, body = _get(f"{https}/healthz")
        assert status == 200 and b'"status":"ok"' in body and b'"schema":"unversioned"' not in body
        status, headers, body = _get(f"{https}/login")
        assert status == 200 and "Đăng nhập" in body.decode()
        assert headers["Strict-Transport-Security"].startswith("max-age=")  # the app saw https through nginx
        assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"])  # nginx's $request_id, passed on
        static = next(p for p in Path(sandbox.path("/srv/tracker/app/static")).rglob("*.css"))
        status, headers, body = _get(f"{https}/static/{static.relative_to(sandbox.path('/srv/tracker/app/static'))}")
        assert status == 200 and body == static.read_bytes() and "X-Request-ID" not in headers  # nginx alone
        status, headers, _ = _get(f"http://127.0.0.1:{sandbox.http_port}/login")
        assert status == 301 and headers["Location"].startswith("https://")
        too_big = urllib.request.Request(f"{https}/login", data=b"x" * (33 * 1024 * 1024), method="POST")
        context = ssl._create_unverified_context()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(too_big, context=context, timeout=30)
        refused.value.close()
        assert refused.value.code == 413
        log = (tmp_path / "tracker-web.log").read_text(encoding="utf-8")
        assert '"event": "request"' in log and '"path": "/login"' in log

        # An upgrade in place, then a backup while it serves.
        run(upgrade)
        assert _get(f"{https}/healthz")[0] == 200
        run(backup)
        run("cd /srv/tracker/app && /srv/tracker/venv/bin/flask --app wsgi create-user late@langson.gov.vn "
            "--agency 'Sở Tài chính' --role officer")  # after the backup: the restore takes it away
        assert counts()[1].count("@") == 2
    finally:
        for process in reversed(services):
            process.send_signal(signal.SIGTERM)
        for process in services:
            process.wait(40)
        for log in logs:
            log.close()
    # The services are stopped (the guide's `systemctl stop`); restore the newest backup.
    backups = sorted(Path(sandbox.path("/var/backups/tracker")).iterdir())
    assert len(backups) == 1 and (backups[0] / "tracker.dump").stat().st_size > 0
    assert "Đã khôi phục bản sao lưu" in run(restore)
    assert counts() == seeded
