"""One host of a deployment, as a separate OS process, on a simulated clock: `web` or `scheduler`.

    python tests/host.py web|scheduler START_ISO SPEED

Configured like production, from TRACKER_* variables (the test sets them as an environment file
would). Once loaded, a host prints "ready" (a web host: "ready PORT") and waits for a line on its
standard input: the wall time T0 at which the simulated clock starts. From then on the clock reads
START + (wall time since T0) × SPEED, the same in every host, so a week passes in seconds; the
scheduler is woken as the clock jumps, since APScheduler otherwise sleeps in real seconds.
"""
from __future__ import annotations

import sys
import threading
import time
from datetime import datetime, timedelta

import time_machine


def simulated_clock(start: datetime, speed: float, t0: float, on_tick=lambda: None) -> None:
    """Move this process's clock along the shared simulated timeline, every 20 ms of real time."""
    real_offset = time.time() - t0  # read before the clock is replaced
    real_started = time.monotonic()  # time-machine leaves the monotonic clock alone

    def simulated_now() -> datetime:
        return start + timedelta(seconds=(real_offset + time.monotonic() - real_started) * speed)

    coordinates = time_machine.travel(simulated_now(), tick=False).start()

    def tick() -> None:
        while True:
            time.sleep(0.02)
            coordinates.move_to(simulated_now())
            on_tick()

    threading.Thread(target=tick, daemon=True, name="simulated-clock").start()


def _go() -> float:
    return float(sys.stdin.readline())


def main() -> None:
    role, start, speed = sys.argv[1], datetime.fromisoformat(sys.argv[2]), float(sys.argv[3])
    from tracker import create_app

    app = create_app()
    if role == "web":
        from werkzeug.serving import make_server

        server = make_server("127.0.0.1", 0, app, threaded=True)
        print(f"ready {server.server_port}", flush=True)
        simulated_clock(start, speed, _go())
        server.serve_forever()
    elif role == "scheduler":
        from apscheduler.schedulers.blocking import BlockingScheduler

        from tracker.reminders.jobs import build_scheduler

        holder: list[BlockingScheduler] = []
        print("ready", flush=True)
        simulated_clock(start, speed, _go(), on_tick=lambda: holder and holder[0].wakeup())
        scheduler = build_scheduler(app)
        holder.append(scheduler)
        scheduler.start()
    else:
        raise SystemExit(f"unknown role {role}")


if __name__ == "__main__":
    main()
