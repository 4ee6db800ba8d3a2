"""Benchmark: the web tier and one day's reminder run, on synthetic plans of 10,000 and 50,000 tasks.

For each size, in a fresh folder: migrate, seed a synthetic plan whose lines stand as on AS_OF
(`bench/synthetic.py`), serve it with gunicorn (one worker, four threads, as in production), sign
in as a leader and time each page sequentially from one client. The static file is the floor: what
the stack costs before our code runs. Prints, per page, the median and p95 latency, the ratio of the
median to the floor's, and the SQL statements the request issues (counted in-process with an
SQLAlchemy event on the same database); the worker's peak RSS after all requests; the quarterly XLSX
export and the dashboard on dates not asked before (its figures computed afresh, as after a write);
the plan's numbers (181 communes x 19 criteria x 8 quarters); and the reminder run of AS_OF (sweep, commit, delivery to a local SMTP sink) twice the same day, in
its own process.

    python bench/web.py                  # both sizes, table
    python bench/web.py --tasks 20000    # one size, JSON

On SQLite always, and on PostgreSQL too when TRACKER_BENCH_POSTGRES names a server and a role that may
create databases (postgresql+psycopg://user:password@127.0.0.1/postgres): the same plans, the same
requests, one column each.
"""
from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.parse
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import postgres  # noqa: E402  (bench/postgres.py)

AS_OF = date(2026, 6, 24)  # a Wednesday: Q1 overdue for those not done, Q2 due within a week
SIZES = (10_000, 50_000)
ROUNDS, WARMUP = 60, 5
EMAIL, PASSWORD = "bench-leader@bench.invalid", "bench-password-2026"
TARGETS = {  # (name, path); {agency} and {task} are filled in per database
    "static file (floor)": "/static/style.css",
    # What the plan page's "Quá hạn" link opens: overdue work, the longest overdue first.
    "plan page, overdue": f"/?category=overdue&sort=overdue&as_of={AS_OF}",
    "API overdue, 100": f"/api/v1/tasks?category=overdue&sort=overdue&as_of={AS_OF}&per_page=100",
    "API overdue, appendix order": f"/api/v1/tasks?category=overdue&as_of={AS_OF}&per_page=100",
    "agency page": "/agencies/{agency}?as_of=" + AS_OF.isoformat(),
    "task page": "/tasks/{task}?as_of=" + AS_OF.isoformat(),
    # The dashboard as its readers see it: its figures computed once per version of the data.
    "dashboard": f"/dashboard?as_of={AS_OF}",
    # The plan's numbers: 181 communes x 19 criteria with 8 quarters of history (bench/communes.py).
    "indicators page": f"/indicators?year={AS_OF.year}&quarter=2",
    "API indicators": f"/api/v1/indicators?year={AS_OF.year}&quarter=2",
    # Lists the one-door API added: the communes against the standard, a task's history, the rounds.
    "API communes, 100": f"/api/v1/communes?year={AS_OF.year}&quarter=2&per_page=100",
    "API task history": "/api/v1/tasks/{task}/history",
    "API rounds": f"/api/v1/rounds?year={AS_OF.year}",
}
EXPORT = f"/reports/quarterly.xlsx?as_of={AS_OF}"
EXPORT_RUNS = 3
COLD_DATES = 3  # the dashboard and an agency page on dates not asked before: every figure computed afresh


POSTGRES = os.environ.get("TRACKER_BENCH_POSTGRES", "").strip() or None


def _admin():
    import sqlalchemy as sa

    return sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def _database(backend: str, folder: Path, name: str, template: str | None = None) -> str:
    """The URL of a new database `name` (a copy of the database at `template` if given)."""
    if backend == "sqlite":
        path = folder / f"{name}.sqlite"
        if template:
            shutil.copyfile(template.removeprefix("sqlite:///"), path)
        return f"sqlite:///{path}"
    from sqlalchemy.engine import make_url

    engine = _admin()
    with engine.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        copy = f' TEMPLATE "{make_url(template).database}"' if template else ""
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"{copy}')
    engine.dispose()
    return make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)


def _drop(url: str) -> None:
    if url.startswith("postgresql"):
        from sqlalchemy.engine import make_url

        engine = _admin()
        with engine.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
        engine.dispose()


def _env(url: str) -> dict:
    return {**os.environ, "TRACKER_DATABASE_URL": url, "TRACKER_SECRET_KEY": "bench-" + "x" * 32,
            "TRACKER_SESSION_COOKIE_SECURE": "false", "TRACKER_PAGE_SIZE": "100", "TRACKER_LOG_LEVEL": "WARNING"}


def _flask(url: str, *args: str) -> str:
    done = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=_env(url),
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Client:
    """A keep-alive HTTP client with a cookie jar of one session, timing each request."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes, float]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - started
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response.status, data, elapsed

    def login(self) -> None:
        status, page, _ = self.request("GET", "/login")
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page)
        form = {"email": EMAIL, "password": PASSWORD, "csrf_token": token.group(1).decode() if token else ""}
        status, _, _ = self.request("POST", "/login", urllib.parse.urlencode(form))
        if status != 302:
            raise SystemExit(f"sign-in failed: {status}")


def _wait(port: int, process: subprocess.Popen) -> None:
    for _ in range(200):
        if process.poll() is not None:
            raise SystemExit("gunicorn exited:\n" + process.stderr.read().decode())
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("gunicorn did not start")


def _worker_rss_mib(master_pid: int, field: str = "VmHWM") -> float:
    """The worker's peak resident memory (VmHWM) or its resident memory now (VmRSS)."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    status = Path(f"/proc/{children[0]}/status").read_text()
    return int(re.search(rf"{field}:\s+(\d+) kB", status).group(1)) / 1024


def _statements(url: str, paths: dict[str, str]) -> tuple[dict[str, int], dict[str, list[str]]]:
    """SQL statements each request issues, counted in this process on the same database, and the query plan
    of each request's slowest statement (SQLite EXPLAIN QUERY PLAN, PostgreSQL EXPLAIN)."""
    from sqlalchemy import event

    from tracker import create_app
    from tracker.extensions import db

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "SESSION_COOKIE_SECURE": False, "PAGE_SIZE": 100})
    client = app.test_client()
    client.post("/login", data={"email": EMAIL, "password": PASSWORD})
    seen: list = []

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        seen.append((time.perf_counter() - conn.info["bench_started"], statement, parameters))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", before)
        event.listen(db.engine, "after_cursor_execute", after)
    found, plans = {}, {}
    for name, path in paths.items():
        client.get(path)
        seen.clear()
        status = client.get(path).status_code
        if status != 200:
            raise SystemExit(f"{path} answered {status}")
        found[name] = len(seen)
        if seen:
            _, statement, parameters = max(seen, key=lambda item: item[0])
            plans[name] = _plan(app, statement, parameters)
    with app.app_context():
        db.engine.dispose()
    return found, plans


def _plan(app, statement: str, parameters) -> list[str]:
    """The database's plan of one statement, one line a step; the statement's first words first."""
    from tracker.extensions import db

    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            sqlite = db.engine.dialect.name == "sqlite"
            cursor.execute(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + statement, parameters)
            rows = [row[-1] if sqlite else row[0] for row in cursor.fetchall()]
        finally:
            raw.close()
    return [" ".join(statement.split())[:110] + " …", *rows]


def _indicators(url: str, folder: Path) -> None:
    """The plan's indicators, and 181 communes whose criteria change over the 8 quarters before AS_OF."""
    import csv

    from communes import HEADER, build, rows

    path = folder / "communes.csv"
    first_year = AS_OF.year - 2
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows(build(quarters=8), year=first_year, quarters=8))
    _flask(url, "indicators", "load", "--year", str(AS_OF.year))
    _flask(url, "communes", "import", str(path))


def _pick(url: str) -> tuple[int, str]:
    """A district (named directly and through its groups) and a task it shares with every district, with a full
    history (a completion date among its entries)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        agency = conn.execute(sa.text("SELECT id FROM agency WHERE name = 'UBND huyện Đình Lập'")).scalar()
        task = conn.execute(sa.text("SELECT task.code FROM task JOIN status_line ON status_line.task_id = task.id "
                                    "WHERE EXISTS (SELECT 1 FROM task_event WHERE task_event.task_id = task.id "
                                    "AND task_event.kind = 'completed_on') "
                                    "GROUP BY task.id HAVING count(*) > 5 ORDER BY task.id LIMIT 1")).scalar()
    engine.dispose()
    return agency, task


def web(tasks: int, folder: Path, backend: str) -> dict:
    """Seed, serve with gunicorn, time every target; returns the figures."""
    url = _database(backend, folder, f"trk_bench_{tasks}")
    _flask(url, "db", "upgrade")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "synthetic.py"), "--database", url,
                           "--tasks", str(tasks), "--year", str(AS_OF.year), "--as-of", AS_OF.isoformat()],
                          cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"seeding failed:\n{done.stdout}\n{done.stderr}")
    _indicators(url, folder)
    seed_seconds = time.perf_counter() - started
    _flask(url, "create-user", EMAIL, "--agency", "UBND tỉnh", "--role", "leader", "--password", PASSWORD)
    seeded = _database(backend, folder, f"trk_bench_{tasks}_seeded", template=url)
    agency, task = _pick(url)
    paths = {name: path.format(agency=agency, task=task) for name, path in TARGETS.items()}
    port = _free_port()
    # Production's settings (its hooks too: the worker freezes what the loaded app holds), one worker of four threads.
    server = subprocess.Popen([str(BIN / "gunicorn"), "-c", "python:tracker.gunicorn_conf",
                               "--workers", "1", "--threads", "4", "--worker-class", "gthread",
                               "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
                              cwd=ROOT, env=_env(url), stderr=subprocess.PIPE)
    try:
        _wait(port, server)
        client = Client(port)
        client.login()
        for _ in range(WARMUP):
            for path in paths.values():
                client.request("GET", path)
        # Round-robin: each round asks every page once, so a machine that slows down for a while
        # slows the floor and the pages alike, and the ratios stay comparable.
        samples: dict[str, list[float]] = {name: [] for name in paths}
        for _ in range(ROUNDS):
            for name, path in paths.items():
                status, _, elapsed = client.request("GET", path)
                if status != 200:
                    raise SystemExit(f"{path} answered {status}")
                samples[name].append(elapsed * 1000)
        rss_before_export = _worker_rss_mib(server.pid)
        rss_now = _worker_rss_mib(server.pid, "VmRSS")
        timings = {}
        for name, found in samples.items():
            found.sort()
            timings[name] = {"median_ms": statistics.median(found), "p95_ms": found[int(0.95 * (len(found) - 1))]}
        # Outside the round-robin (seconds, not milliseconds): the quarterly XLSX, and the dashboard on
        # dates never asked before, as the first reader after a write finds it.
        export = []
        for _ in range(EXPORT_RUNS):
            status, data, elapsed = client.request("GET", EXPORT)
            if status != 200 or not data.startswith(b"PK"):
                raise SystemExit(f"{EXPORT} answered {status}")
            export.append(elapsed)
        cold, agency_cold = [], []
        for days in range(1, COLD_DATES + 1):
            day = AS_OF.replace(day=AS_OF.day - days)
            status, _, elapsed = client.request("GET", f"/dashboard?as_of={day}")
            cold.append(elapsed * 1000)
            status, _, elapsed = client.request("GET", f"/agencies/{agency}?as_of={day}")
            agency_cold.append(elapsed * 1000)
        rss_after_export = _worker_rss_mib(server.pid)
        rss = rss_before_export
    finally:
        server.terminate()
        server.wait(timeout=30)
    statements, plans = _statements(url, paths)
    _drop(url)
    return {"tasks": tasks, "backend": backend, "seeded_url": seeded, "seed_seconds": seed_seconds, "timings": timings, "statements": statements, "plans": plans,
            "rss_mib": rss, "rss_now_mib": rss_now, "rss_after_export_mib": rss_after_export, "paths": paths,
            "export_s": statistics.median(export), "export_bytes": len(data),
            "dashboard_cold_ms": statistics.median(cold), "agency_cold_ms": statistics.median(agency_cold)}


SIMULATED_DAYS = 90


def reminders(url: str, traced: bool = False) -> dict:
    """The reminder runs on the database at url, each a sweep + commit + delivery to a local SMTP sink.

    First the sweep of the day before AS_OF, the first ever (a backlog: everything looked at); then AS_OF's
    daily run, which builds on it; then AS_OF again (nothing new); then SIMULATED_DAYS more days, each
    followed by the nightly pruning, to measure how the ledger grows. With traced, only AS_OF's run,
    under tracemalloc for peak Python memory (tracing slows it, so it is not timed).
    """
    from datetime import timedelta

    import sqlalchemy as sa
    from aiosmtpd.controller import Controller

    from tracker import create_app
    from tracker.clock import utcnow
    from tracker.extensions import db
    from tracker.reminders.models import SentReminder
    from tracker.reminders.outbox import deliver_outbox
    from tracker.reminders.sweep import prune_ledger, run_sweep

    class Sink:
        received = 0

        async def handle_DATA(self, server, session, envelope):
            Sink.received += 1
            return "250 OK"

    port = _free_port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "SMTP_HOST": "127.0.0.1",
                      "SMTP_PORT": port, "SMTP_SECURITY": "none"})

    def run(day, trace: bool = False) -> dict:
        if trace:
            tracemalloc.start()
        started = time.perf_counter()
        result = run_sweep(day)
        db.session.commit()
        swept = time.perf_counter()
        sent = 0
        # The queue's clock is the wall clock; its reminders are checked as of the sweep's day.
        while batch := deliver_outbox(utcnow(), today=day).sent:
            sent += len(batch)
        finished = time.perf_counter()
        peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
        if trace:
            tracemalloc.stop()
        return {"sweep_s": swept - started, "deliver_s": finished - swept, "total_s": finished - started,
                "reminders": result.queued, "mails": sent, "incremental": result.incremental, "peak_mib": peak}

    def ledger() -> int:
        return db.session.scalar(sa.select(sa.func.count(SentReminder.id)))

    found: dict = {}
    try:
        with app.app_context():
            found["backlog"] = run(AS_OF - timedelta(days=1))
            if traced:
                found["day"] = run(AS_OF, trace=True)
                return found
            found["day"] = run(AS_OF)
            found["again"] = run(AS_OF)
            days, sizes = [], [[0, ledger()]]
            for n in range(1, SIMULATED_DAYS + 1):
                day = AS_OF + timedelta(days=n)
                days.append(run(day))
                prune_ledger(day)  # the nightly job
                db.session.commit()
                if n % 30 == 0:
                    sizes.append([n, ledger()])
            found["simulated"] = {"days": SIMULATED_DAYS, "ledger": sizes,
                                  "mean_s": statistics.mean(d["total_s"] for d in days),
                                  "max_s": max(d["total_s"] for d in days),
                                  "reminders": sum(d["reminders"] for d in days),
                                  "mails": sum(d["mails"] for d in days)}
            db.engine.dispose()
    finally:
        controller.stop()
    found["received"] = Sink.received
    return found


def _reminder_process(url: str, traced: bool) -> dict:
    args = [sys.executable, __file__, "--reminders", url] + (["--traced"] if traced else [])
    out = subprocess.run(args, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


def one_size(tasks: int, backend: str = "sqlite") -> dict:
    """Everything for one size on one backend, in this process and its children; the reminder run in a
    fresh process."""
    folder = Path(tempfile.mkdtemp(prefix="tracker-web-bench-"))
    copies = []
    try:
        measured = web(tasks, folder, backend)
        seeded = measured.pop("seeded_url")
        traced = _database(backend, folder, f"trk_bench_{tasks}_traced", template=seeded)
        copies += [seeded, traced]
        measured["reminder_run"] = _reminder_process(seeded, traced=False)
        measured["reminder_run"]["day"]["peak_mib"] = _reminder_process(traced, traced=True)["day"]["peak_mib"]
        return measured
    finally:
        for url in copies:
            _drop(url)
        shutil.rmtree(folder, ignore_errors=True)


def table(rows: list[dict]) -> None:
    """Print the figures of every size, side by side."""
    print(f"Web tier and reminder run, as of {AS_OF.isoformat()} (gunicorn 1 worker x 4 threads; "
          f"{ROUNDS} rounds of one request per page, one after another)")
    header = f"{'request':<28}" + "".join(f" | {_label(r):>17}: median  p95   x floor  SQL" for r in rows)
    print(header)
    print("-" * len(header))
    for name in TARGETS:
        line = f"{name:<28}"
        for r in rows:
            t = r["timings"][name]
            floor = r["timings"]["static file (floor)"]["median_ms"]
            line += (f" | {'':>13}{t['median_ms']:6.1f} {t['p95_ms']:6.1f} ms {t['median_ms'] / floor:5.1f}x "
                     f"{r['statements'][name]:>3}")
        print(line)
    print("dashboard on a date not asked before (figures computed afresh, as after a write), median of "
          f"{COLD_DATES}: " + ", ".join(f"{_label(r)} {r['dashboard_cold_ms']:.0f} ms" for r in rows))
    print("agency page on a date not asked before (its sheets counted afresh, as after a write), median of "
          f"{COLD_DATES}: " + ", ".join(f"{_label(r)} {r['agency_cold_ms']:.0f} ms" for r in rows))
    print(f"quarterly XLSX, median of {EXPORT_RUNS}: "
          + ", ".join(f"{_label(r)} {r['export_s']:.2f} s ({r['export_bytes'] / 2**20:.1f} MiB)" for r in rows))
    print("worker peak RSS after the requests: "
          + ", ".join(f"{_label(r)} {r['rss_mib']:.0f} MiB (resident at the end {r['rss_now_mib']:.0f} MiB)" for r in rows)
          + "; after the exports: " + ", ".join(f"{r['rss_after_export_mib']:.0f} MiB" for r in rows))
    for r in rows:
        run = r["reminder_run"]
        backlog, day, again, simulated = run["backlog"], run["day"], run["again"], run["simulated"]
        print(f"reminder runs, {_label(r)} (sweep + commit + delivery; process start excluded):")
        print(f"  the first sweep ever, the day before: {backlog['total_s']:.2f} s, everything looked at: {backlog['reminders']:,} reminders in "
              f"{backlog['mails']} mails")
        print(f"  the day's run ({AS_OF.isoformat()}, built on the last): {day['total_s']:.2f} s (sweep "
              f"{day['sweep_s']:.2f}, delivery {day['deliver_s']:.2f}; {day['reminders']:,} reminders in "
              f"{day['mails']} mails; peak Python memory {day['peak_mib']:.1f} MiB)")
        print(f"  the same day again: {again['total_s']:.2f} s ({again['reminders']} new, {again['mails']} mails)")
        sizes = simulated["ledger"]
        growth = (sizes[-1][1] - sizes[0][1]) / simulated["days"]
        print(f"  {simulated['days']} more days with the nightly pruning: {simulated['mean_s']:.2f} s a day on average, "
              f"{simulated['max_s']:.2f} s at most; {simulated['reminders']:,} reminders in {simulated['mails']} mails; "
              "ledger " + " → ".join(f"{rows:,} (day {n})" for n, rows in sizes)
              + f": {growth:+,.0f} rows a day")
    print("seeding: " + ", ".join(f"{_label(r)} {r['seed_seconds']:.0f} s" for r in rows))
    for r in rows:
        if r["tasks"] != max(SIZES):
            continue
        print(f"\nQuery plans, {_label(r)}: each page's slowest statement")
        for name, plan in r["plans"].items():
            print(f"  {name}: {plan[0]}")
            for step in plan[1:]:
                print(f"      {step}")


def _label(row: dict) -> str:
    return f"{'PostgreSQL' if row['backend'] == 'postgresql' else 'SQLite'} {row['tasks'] // 1000}k"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, help="measure one size and print JSON")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite", help="with --tasks")
    parser.add_argument("--reminders", help="(internal) the reminder run on the seeded database at this URL")
    parser.add_argument("--traced", action="store_true", help="(internal) with --reminders: under tracemalloc")
    args = parser.parse_args()
    if args.reminders:
        print(json.dumps(reminders(args.reminders, args.traced)))
        return
    if args.tasks:
        print(json.dumps(one_size(args.tasks, args.backend)))
        return
    global POSTGRES
    with contextlib.ExitStack() as stack:
        if POSTGRES is None and postgres.binaries() is not None:
            # No server named: a throwaway one, for this run only (its URL reaches the child processes too).
            POSTGRES = os.environ["TRACKER_BENCH_POSTGRES"] = stack.enter_context(postgres.throwaway_server())
        backends = ("sqlite", "postgresql") if POSTGRES else ("sqlite",)
        if not POSTGRES:
            print("(PostgreSQL is not installed and TRACKER_BENCH_POSTGRES is not set: SQLite only)")
        table([one_size(tasks, backend) for tasks in SIZES for backend in backends])


if __name__ == "__main__":
    main()
