"""Where attachments' bytes live, behind one interface every host uses the same way.

Two backends, chosen by `FILES_URL` (TRACKER_FILES_URL):

- unset, or `file:///a/folder`: `LocalFolder`, a folder on the host's disk (one host), or the same folder on a
  shared volume mounted at the same path on every host (NFS, CephFS, GlusterFS: see docs/deploy.md). Unset, the
  folder is UPLOAD_FOLDER, by default instance/uploads.
- `s3://bucket/prefix`: `S3Bucket` (tracker/files/s3.py), objects in an S3-compatible store, whose endpoint and
  keys come from the standard AWS_* variables.

Bytes always arrive as a file object and are copied in chunks, never read whole into memory. Either way no host
sees an attachment row without its file, and a rolled-back transaction leaves no file: a file is written before
the row that names it is committed, under a name nobody reads until then (see each backend for how), and
deleted if the transaction rolls back.
"""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import unquote, urlsplit

from flask import current_app

PENDING = ".part"
CHUNK = 1024 * 1024  # bytes copied at a time


class StorageUnavailable(OSError):
    """The place files are kept did not answer (an object store down, refusing our keys, or failing): nothing of
    the file was stored or read. An OSError, so a request that meets it answers 503 like a full disk."""


class Storage(Protocol):
    """What the application needs of a place for attachments."""

    def write_pending(self, name: str, source: BinaryIO) -> None:
        """Copy `source` (read to its end, in chunks) under a pending name that no reader sees."""

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
    """Attachments as files in one folder: written as `NAME.part`, renamed to NAME when the row commits."""

    def __init__(self, root: Path):
        self.root = root

    def _folder(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        return self.root

    def write_pending(self, name: str, source: BinaryIO) -> None:
        try:
            with open(self._folder() / f"{name}{PENDING}", "wb") as target:
                shutil.copyfileobj(source, target, CHUNK)
        except OSError as error:  # a full disk or a lost volume: the same "not stored" as a store that is down
            raise StorageUnavailable(f"writing {name}: {error}") from error

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

    def published(self) -> list[str]:
        """The names of every published file (pending ones left out)."""
        return sorted(path.name for path in self._folder().iterdir() if path.is_file() and path.suffix != PENDING)

    def delete(self, name: str) -> None:
        (self.root / name).unlink(missing_ok=True)

    def copy_to(self, folder: Path) -> int:
        shutil.copytree(self._folder(), folder, ignore=shutil.ignore_patterns(f"*{PENDING}"))
        return sum(1 for _ in folder.iterdir())

    def replace_from(self, folder: Path) -> int:
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.copytree(folder, self.root)
        return sum(1 for _ in self.root.iterdir())


class BadFilesUrl(ValueError):
    """FILES_URL names no place this release can keep files in."""


def parse_files_url(url: str | None) -> tuple[str, str, str]:
    """("local", folder or "", "") for no URL or file://FOLDER; ("s3", bucket, prefix) for s3://BUCKET/PREFIX
    (the prefix empty or ending in "/"); BadFilesUrl otherwise."""
    if not url:
        return "local", "", ""
    parts = urlsplit(url.strip())
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise BadFilesUrl(f"TRACKER_FILES_URL={url!r}: a folder is written file:///absolute/path.")
        return "local", unquote(parts.path), ""
    if parts.scheme == "s3":
        if not parts.netloc or parts.query or parts.fragment:
            raise BadFilesUrl(f"TRACKER_FILES_URL={url!r}: a bucket is written s3://bucket or s3://bucket/prefix.")
        prefix = parts.path.strip("/")
        return "s3", parts.netloc, f"{prefix}/" if prefix else ""
    raise BadFilesUrl(f"TRACKER_FILES_URL={url!r}: files are kept in a folder (file:///path, or leave it unset for "
                      "TRACKER_UPLOAD_FOLDER) or in an S3-compatible bucket (s3://bucket/prefix).")


def local_folder() -> LocalFolder:
    """The upload folder on this host: FILES_URL's file:// folder, else UPLOAD_FOLDER, else instance/uploads.
    `flask files migrate` copies from it when the files have moved to a bucket."""
    config = current_app.config
    kind, folder, _ = parse_files_url(config.get("FILES_URL"))
    if kind == "local" and folder:
        return LocalFolder(Path(folder))
    return LocalFolder(Path(config.get("UPLOAD_FOLDER") or os.path.join(current_app.instance_path, "uploads")))


def storage() -> Storage:
    """The configured storage of the current app (see the module's note on FILES_URL)."""
    kind, bucket, prefix = parse_files_url(current_app.config.get("FILES_URL"))
    if kind == "s3":
        from .s3 import S3Bucket

        return S3Bucket.configured(bucket, prefix)
    return local_folder()


def check_files_url(config) -> None:
    """A FILES_URL this release can keep files at, checked when the app is made rather than at the first upload."""
    from ..config import ConfigurationError

    if config.get("FILE_STORAGE") not in (None, "local"):  # the setting before FILES_URL replaced it
        raise ConfigurationError(f"TRACKER_FILE_STORAGE={config['FILE_STORAGE']!r} is no longer read: set "
                                 "TRACKER_FILES_URL=s3://bucket/prefix for an S3-compatible bucket (docs/deploy.md).")
    try:
        parse_files_url(config.get("FILES_URL"))
    except BadFilesUrl as exc:
        raise ConfigurationError(str(exc)) from None
