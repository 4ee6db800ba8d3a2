"""A throwaway PostgreSQL server for the benchmark, from Debian's binaries, on a free port; stopped by PID.

`make bench` measures PostgreSQL beside SQLite without anyone setting up a server: when
TRACKER_BENCH_POSTGRES is not set and Debian's postgresql is installed, bench/web.py starts one of these
in a temporary folder (as the `postgres` user when run as root, which initdb requires) and removes it after.
"""
from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


def binaries() -> Path | None:
    """The newest installed PostgreSQL's bin folder, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    return Path(found[-1]).parent if found else None


def _as_owner(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextlib.contextmanager
def throwaway_server() -> Iterator[str]:
    """Start a server with a superuser `bench` (trust on 127.0.0.1) and yield its URL; stop and delete it after."""
    bin_dir = binaries()
    if bin_dir is None:
        raise RuntimeError("Debian's postgresql is not installed")
    folder = Path(tempfile.mkdtemp(prefix="tracker-bench-pg-"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        folder.chmod(0o700)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    subprocess.run(_as_owner([str(bin_dir / "initdb"), "-D", str(data), "-U", "bench", "--auth=trust",
                              "-E", "UTF8", "--locale=C.UTF-8"]), check=True, capture_output=True)
    server = subprocess.Popen(_as_owner([str(bin_dir / "postgres"), "-D", str(data), "-p", str(port),
                                         "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={folder}",
                                         "-c", "fsync=off", "-c", "shared_buffers=128MB"]),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        time.sleep(0.3)  # accepting connections a moment after the port opens
        yield f"postgresql+psycopg://bench@127.0.0.1:{port}/postgres"
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(folder, ignore_errors=True)
