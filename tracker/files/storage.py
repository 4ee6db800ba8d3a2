"""Where attachments' bytes live, behind one interface every host uses the same way.

`LocalFolder` is the one backend shipped: a folder on the host's disk (one host), or the same folder
on a shared volume mounted at the same path on every host (NFS, CephFS, GlusterFS: see
docs/deploy.md). A backend for an object store (S3) implements the same seven methods; see the
note in docs/deploy.md on why none ships yet.

A file is written first under a pending name and published (renamed) only when the database
transaction that records it commits, so no host can see an attachment row without its file.
"""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import current_app

PENDING = ".part"


class Storage(Protocol):
    """What the application needs of a place for attachments."""

    def write_pending(self, name: str, data: bytes) -> None:
        """Store `data` under a pending name that no reader sees."""

    def publish(self, name: str) -> None:
        """Make the pending file `name` readable under its own name (after the commit)."""

    def discard(self, name: str) -> None:
        """Forget the pending file `name` (after a rollback)."""

    def open(self, name: str) -> BinaryIO | None:
        """The published file `name` for reading, or None if it is missing."""

    def names(self, older_than_seconds: float) -> list[str]:
        """Every file, pending or published, last written longer ago than `older_than_seconds`."""

    def delete(self, name: str) -> None:
        """Remove the file `name` (pending or published)."""

    def copy_to(self, folder: Path) -> int:
        """Copy every published file into `folder` (a backup); how many."""

    def replace_from(self, folder: Path) -> int:
        """Make the published files exactly those of `folder` (a restore); how many."""


class LocalFolder:
    """Attachments as files in one folder."""

    def __init__(self, root: Path):
        self.root = root

    def _folder(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        return self.root

    def write_pending(self, name: str, data: bytes) -> None:
        (self._folder() / f"{name}{PENDING}").write_bytes(data)

    def publish(self, name: str) -> None:
        # A rename within one folder is atomic on local disks and on NFS: readers see all or nothing.
        os.replace(self._folder() / f"{name}{PENDING}", self.root / name)

    def discard(self, name: str) -> None:
        (self.root / f"{name}{PENDING}").unlink(missing_ok=True)

    def open(self, name: str) -> BinaryIO | None:
        try:
            return open(self.root / name, "rb")
        except FileNotFoundError:
            return None

    def names(self, older_than_seconds: float) -> list[str]:
        now = time.time()
        return sorted(path.name for path in self._folder().iterdir()
                      if path.is_file() and now - path.stat().st_mtime >= older_than_seconds)

    def delete(self, name: str) -> None:
        (self.root / name).unlink(missing_ok=True)

    def copy_to(self, folder: Path) -> int:
        shutil.copytree(self._folder(), folder, ignore=shutil.ignore_patterns(f"*{PENDING}"))
        return sum(1 for _ in folder.iterdir())

    def replace_from(self, folder: Path) -> int:
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.copytree(folder, self.root)
        return sum(1 for _ in self.root.iterdir())


def storage() -> Storage:
    """The configured storage of the current app: FILE_STORAGE "local" (UPLOAD_FOLDER, by default
    instance/uploads)."""
    kind = current_app.config.get("FILE_STORAGE", "local")
    if kind != "local":
        raise RuntimeError(f"FILE_STORAGE={kind!r} is not a storage this release has; use 'local'.")
    return LocalFolder(Path(current_app.config.get("UPLOAD_FOLDER")
                            or os.path.join(current_app.instance_path, "uploads")))
