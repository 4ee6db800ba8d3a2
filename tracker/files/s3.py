"""Attachments as objects in an S3-compatible bucket (AWS S3, SeaweedFS, MinIO, Ceph's RGW, …).

`TRACKER_FILES_URL=s3://bucket/prefix` chooses it. The endpoint, keys and region come from the standard variables
boto3 itself reads (`AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_DEFAULT_REGION`), so
the keys live beside the other secrets of the environment file, not in the URL.

Why there is no pending name here, as there is in a folder: a folder needs `NAME.part` and a rename because a
reader could otherwise open a half-written file. An S3 PUT is atomic (the object is whole or absent), so the file
is written under its final name at once. That name is a fresh random one that no committed row names until the
transaction commits, so no host can reach the object before its row, and no host sees a row before its object
(the PUT finished before the flush that records the row). A rollback deletes the object (`discard`); a worker
killed between the PUT and the commit leaves an object no row names, which `flask files sweep` deletes once it is
an hour old. A server-side copy from a pending key would cost a second write of every file for no guarantee more.

Each request is bounded (connect 5 s, read 30 s, 3 attempts); an endpoint that refuses, times out or answers
5xx, or keys it refuses, raise StorageUnavailable, which the pages and the API turn into a clear message.
"""
from __future__ import annotations

import io
import logging
import os
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import BinaryIO

from .storage import CHUNK, StorageUnavailable

log = logging.getLogger("tracker.files")

_CLIENTS: dict[tuple, object] = {}
_LOCK = threading.Lock()


def client():
    """A boto3 S3 client for the AWS_* variables as they are now (one per distinct setting, shared by threads:
    boto3's clients are thread-safe, and building one costs tens of milliseconds)."""
    import boto3
    from botocore.config import Config

    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    key = (endpoint, os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY"),
           os.environ.get("AWS_DEFAULT_REGION"))
    with _LOCK:
        if key not in _CLIENTS:
            config = Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"},
                            # A self-hosted store (an endpoint of our own) answers at its address, not at
                            # bucket.address, which would need a DNS name per bucket.
                            s3={"addressing_style": "path" if endpoint else "auto"})
            _CLIENTS[key] = boto3.session.Session().client("s3", config=config)
        return _CLIENTS[key]


def _status(error) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def _missing(error) -> bool:
    return error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound")


@contextmanager
def _talking(bucket: str, what: str):
    """Turn the store's failures into StorageUnavailable, logged with what we were doing."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as error:
        if _missing(error):
            raise
        log.error("object store: %s in bucket %s failed: %s", what, bucket, error)
        raise StorageUnavailable(f"{what}: {error}") from error
    except BotoCoreError as error:  # refused, timed out, cut off mid-answer, no credentials
        log.error("object store: %s in bucket %s failed: %s", what, bucket, error)
        raise StorageUnavailable(f"{what}: {error}") from error


class _Body(io.RawIOBase):
    """An object's bytes as they arrive, a failure mid-way raised as StorageUnavailable."""

    def __init__(self, body, bucket: str, key: str):
        self._body, self._bucket, self._key = body, bucket, key

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        with _talking(self._bucket, f"reading {self._key}"):
            data = self._body.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self._body.close()
        super().close()


class S3Bucket:
    """Attachments as objects named PREFIX + NAME in one bucket (see the module's note on pending names)."""

    def __init__(self, bucket: str, prefix: str, s3):
        self.bucket, self.prefix, self.s3 = bucket, prefix, s3

    @classmethod
    def configured(cls, bucket: str, prefix: str) -> S3Bucket:
        """The bucket, with a client for the AWS_* variables of this process."""
        return cls(bucket, prefix, client())

    def _key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def write_pending(self, name: str, source: BinaryIO) -> None:
        # A file object as the body: botocore sends it in blocks as it reads it (a seekable one is measured and
        # checksummed by reading it through, then rewound), never as one bytes object.
        with _talking(self.bucket, f"writing {self._key(name)}"):
            self.s3.put_object(Bucket=self.bucket, Key=self._key(name), Body=source)

    def publish(self, name: str) -> None:
        """Nothing to do: the object was whole under its own name from the moment its PUT returned."""

    def discard(self, name: str) -> None:
        self.delete(name)

    def open(self, name: str) -> BinaryIO | None:
        from botocore.exceptions import ClientError

        try:
            with _talking(self.bucket, f"opening {self._key(name)}"):
                answer = self.s3.get_object(Bucket=self.bucket, Key=self._key(name))
        except ClientError:  # only a missing object gets here
            return None
        return io.BufferedReader(_Body(answer["Body"], self.bucket, self._key(name)), CHUNK)

    def _objects(self) -> list[dict]:
        found = []
        with _talking(self.bucket, f"listing {self.prefix or '/'}"):
            for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix,
                                                                          Delimiter="/"):
                found += page.get("Contents", [])
        return found

    def names(self, older_than_seconds: float) -> list[str]:
        limit = datetime.now(timezone.utc) - timedelta(seconds=older_than_seconds)
        return sorted(item["Key"][len(self.prefix):] for item in self._objects() if item["LastModified"] <= limit)

    def published(self) -> list[str]:
        """The names of every object under the prefix."""
        return sorted(item["Key"][len(self.prefix):] for item in self._objects())

    def delete(self, name: str) -> None:
        with _talking(self.bucket, f"deleting {self._key(name)}"):
            self.s3.delete_object(Bucket=self.bucket, Key=self._key(name))

    def copy_to(self, folder: Path) -> int:
        folder.mkdir(parents=True, exist_ok=False)
        names = self.published()
        for name in names:
            source = self.open(name)
            if source is None:  # deleted since the listing (an orphan swept)
                continue
            with source, open(folder / name, "wb") as target:
                while chunk := source.read(CHUNK):
                    target.write(chunk)
        return sum(1 for _ in folder.iterdir())

    def replace_from(self, folder: Path) -> int:
        keep = sorted(path.name for path in folder.iterdir() if path.is_file())
        for name in keep:
            with open(folder / name, "rb") as source:
                self.write_pending(name, source)
        for name in set(self.published()) - set(keep):
            self.delete(name)
        return len(keep)
