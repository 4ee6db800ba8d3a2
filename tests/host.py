"""One host of a deployment, as a separate OS process, on a simulated clock: `web` or `scheduler`.

    python tests/host.py web|scheduler START_ISO SPEED

Configured like production, from TRACKER_* variables (the test sets them as an environment file
would). Once loaded, a host's clock stands still at START and the host prints "ready" (a web host:
"ready PORT", already serving, so a test can sign in before time moves) and waits for a line on its
standard input: the wall time T0 at which the simulated clock starts. From then on the clock reads
START + (wall time since T0) × SPEED, the same in every host, so a week passes in seconds; the
scheduler is woken as the clock jumps, since APScheduler otherwise sleeps in real seconds.
"""
from __future__ import annotations

import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import time_machine


# The real wall clock, read once before time-machine replaces it; later readings add the monotonic
# clock, which time-machine leaves alone.
_WALL0, _MONO0 = time.time(), time.monotonic()


def _real_time() -> float:
    return _WALL0 + time.monotonic() - _MONO0


def standing_clock(start: datetime):
    """Stop this process's clock at START until the simulated clock is started."""
    return time_machine.travel(start, tick=False).start()


def simulated_clock(coordinates, start: datetime, speed: float, t0: float, on_tick=lambda: None) -> None:
    """Move this process's clock along the shared simulated timeline, every 20 ms of real time."""

    def simulated_now() -> datetime:
        return start + timedelta(seconds=max(0.0, _real_time() - t0) * speed)

    def tick() -> None:
        while True:
            coordinates.move_to(simulated_now())
            on_tick()
            time.sleep(0.02)

    coordinates.move_to(simulated_now())
    threading.Thread(target=tick, daemon=True, name="simulated-clock").start()


def sign_with_the_real_clock() -> None:
    """An object store refuses a request signed more than 15 minutes away from its own clock, and this host's
    clock is simulated (2021) while the store's is not: the S3 client signs with the real time."""
    import botocore.auth

    def real_now(remove_tzinfo: bool = True) -> datetime:
        now = datetime.fromtimestamp(_real_time(), timezone.utc)
        return now.replace(tzinfo=None) if remove_tzinfo else now

    botocore.auth.get_current_datetime = real_now


def _go() -> float:
    return float(sys.stdin.readline())


def main() -> None:
    role, start, speed = sys.argv[1], datetime.fromisoformat(sys.argv[2]), float(sys.argv[3])
    from tracker import create_app

    sign_with_the_real_clock()
    app = create_app()
    if role == "web":
        from werkzeug.serving import make_server

        coordinates = standing_clock(start)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True, name="web").start()
        print(f"ready {server.server_port}", flush=True)
        simulated_clock(coordinates, start, speed, _go())
        threading.Event().wait()
    elif role == "scheduler":
        from apscheduler.schedulers.blocking import BlockingScheduler

        from tracker.reminders.jobs import build_scheduler

        holder: list[BlockingScheduler] = []
        coordinates = standing_clock(start)
        print("ready", flush=True)
        simulated_clock(coordinates, start, speed, _go(), on_tick=lambda: holder and holder[0].wakeup())
        scheduler = build_scheduler(app)
        holder.append(scheduler)
        scheduler.start()
    else:
        raise SystemExit(f"unknown role {role}")


if __name__ == "__main__":
    main()
