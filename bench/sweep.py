"""Benchmark: one reminder sweep over synthetic plans of 10,000 and 100,000 tasks.

Each size runs in a fresh process on its own SQLite file: seed with `bench/synthetic.py`, then
sweep one copy of the database for time and another under tracemalloc for peak memory. A second
sweep on the same day (everything already recorded) is timed too. Prints a table; the targets
are time growing no faster than the plan and memory staying flat.

    python bench/sweep.py                 # both sizes
    python bench/sweep.py --tasks 20000   # one size, one process (used by the driver)
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AS_OF = date(2026, 6, 24)  # a Wednesday: Q2 deadlines a week away, Q1 overdue for those not done
SIZES = (10_000, 100_000)


def _app(path: Path):
    from tracker import create_app

    return create_app({"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "bench"})


def _sweep(path: Path, traced: bool) -> dict:
    from tracker.extensions import db
    from tracker.reminders.models import SentReminder
    from tracker.reminders.sweep import run_sweep

    app = _app(path)
    with app.app_context():
        if traced:
            tracemalloc.start()
        started = time.perf_counter()
        result = run_sweep(AS_OF)
        db.session.commit()
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] if traced else None
        if traced:
            tracemalloc.stop()
        started = time.perf_counter()
        again = run_sweep(AS_OF)
        db.session.commit()
        second = time.perf_counter() - started
        ledger = db.session.scalar(db.select(db.func.count(SentReminder.id)))
        db.engine.dispose()
    return {"seconds": seconds, "peak_mb": peak / 2**20 if peak is not None else None, "queued": result.queued,
            "messages": result.messages, "second_seconds": second, "second_queued": again.queued, "ledger": ledger}


def one_size(tasks: int) -> dict:
    """Seed, then measure; runs inside its own process."""
    from flask_migrate import upgrade

    from synthetic import seed_synthetic
    from tracker.extensions import bind_migrations, db
    from tracker.maintenance import refresh_statistics

    folder = Path(tempfile.mkdtemp(prefix="tracker-bench-"))
    try:
        seeded = folder / "seeded.sqlite"
        app = _app(seeded)
        bind_migrations(app)
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            seed_synthetic(tasks, AS_OF.year, AS_OF)
            db.session.commit()
            refresh_statistics()
            db.session.commit()
            seed_seconds = time.perf_counter() - started
            db.engine.dispose()
        timed, traced = folder / "timed.sqlite", folder / "traced.sqlite"
        shutil.copyfile(seeded, timed)
        shutil.copyfile(seeded, traced)
        measured = _sweep(timed, traced=False)
        measured["peak_mb"] = _sweep(traced, traced=True)["peak_mb"]
        return {"tasks": tasks, "seed_seconds": seed_seconds, **measured}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, help="measure one size in this process and print JSON")
    args = parser.parse_args()
    if args.tasks:
        print(json.dumps(one_size(args.tasks)))
        return
    rows = []
    for tasks in SIZES:
        out = subprocess.run([sys.executable, __file__, "--tasks", str(tasks)], check=True, capture_output=True,
                             text=True, cwd=ROOT).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
    print(f"Reminder sweep on {AS_OF.isoformat()} (SQLite, one process per size)")
    print(f"{'tasks':>8} {'seed s':>8} {'sweep s':>8} {'µs/task':>8} {'peak MB':>8} {'reminders':>10} "
          f"{'mails':>6} {'2nd sweep s':>11} {'2nd new':>8}")
    for r in rows:
        print(f"{r['tasks']:>8} {r['seed_seconds']:>8.1f} {r['seconds']:>8.2f} {1e6 * r['seconds'] / r['tasks']:>8.0f} "
              f"{r['peak_mb']:>8.1f} {r['queued']:>10} {r['messages']:>6} {r['second_seconds']:>11.2f} "
              f"{r['second_queued']:>8}")
    small, large = rows[0], rows[-1]
    size_ratio = large["tasks"] / small["tasks"]
    print(f"plan x{size_ratio:.0f}: sweep time x{large['seconds'] / small['seconds']:.1f}, "
          f"peak memory x{large['peak_mb'] / small['peak_mb']:.2f}")


if __name__ == "__main__":
    main()
