"""Checking and storing uploads. Flush, never commit.

An upload is never read whole into memory: Werkzeug spools a large one to a temporary file, `check_upload` reads
it once in chunks to measure it and take its SHA-256, and the storage copies it from there in chunks. A file is
written under a pending name while the request runs (see storage.py) and published under its generated name
only when the transaction commits; a rollback deletes it. A worker killed in between leaves only a pending
file, which `flask --app wsgi files sweep` removes with any file no attachment points to. A download is checked
against the SHA-256 recorded at upload before a byte of it is sent.
"""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import unicodedata
import uuid
from dataclasses import dataclass, field
from typing import BinaryIO

import sqlalchemy as sa
from flask_babel import gettext
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from ..extensions import db
from ..operations import Invalid
from ..plan.models import Task
from ..text import nfc
from .models import Attachment
from .storage import CHUNK, PENDING, StorageUnavailable, storage

log = logging.getLogger("tracker.files")


class UploadError(ValueError):
    """A file that is refused: wrong type, too large, empty."""


class FileDamaged(Exception):
    """A stored file whose bytes no longer match the SHA-256 recorded when it was uploaded."""


@dataclass
class Upload:
    """A checked upload: its original name and type, and its bytes as a file object at their start (measured
    and hashed, not held in memory)."""

    original: str
    content_type: str
    stream: BinaryIO
    size: int
    checksum: str
    head: bytes = b""


def measure(stream: BinaryIO, limit: int, head_bytes: int = 65536) -> tuple[BinaryIO, int, str, bytes]:
    """Read a stream once in chunks, at most limit + 1 bytes: a seekable stream rewound (else spooled to a
    temporary file), its size (limit + 1 means too large), its SHA-256 and its first head_bytes."""
    if not (getattr(stream, "seekable", None) and stream.seekable()):
        spooled = tempfile.SpooledTemporaryFile(max_size=CHUNK)
        digest, size, head = _copy(stream, spooled, limit + 1, head_bytes)
        stream = spooled
    else:
        digest, size, head = _copy(stream, None, limit + 1, head_bytes)
    stream.seek(0)
    return stream, size, digest.hexdigest(), head


def _copy(source: BinaryIO, target, limit: int, head_bytes: int):
    digest, size, head = hashlib.sha256(), 0, b""
    while size < limit and (chunk := source.read(min(CHUNK, limit - size))):
        digest.update(chunk)
        size += len(chunk)
        if len(head) < head_bytes:
            head += chunk[:head_bytes - len(head)]
        if target is not None:
            target.write(chunk)
    return digest, size, head


# extension -> (content type, magic bytes the file must start with)
ALLOWED_UPLOADS = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
}


MAX_NAME = 120  # characters of an original name kept for download


def clean_name(raw: str | None) -> str:
    """A file's original name as it may be shown and offered for download: its last path part, in NFC,
    without control or bidirectional-override characters (which can disguise "exe.pdf" as "fdp.exe"),
    cut to MAX_NAME characters with its extension kept."""
    name = os.path.basename((raw or "").replace("\\", "/"))
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn"))
    name = nfc(name)
    stem, extension = os.path.splitext(name)
    if len(name) > MAX_NAME:
        name = stem[:MAX_NAME - len(extension[:10])].rstrip() + extension[:10]
    return name


def checked_uploads(files: list[FileStorage] | None, field: str = "attachments") -> list[Upload]:
    """Each posted file checked (blank file inputs skipped); Invalid naming the first refused one."""
    checked = []
    for upload in files or []:
        if upload and upload.filename:
            try:
                checked.append(check_upload(upload))
            except UploadError as exc:
                raise Invalid({field: str(exc)}) from None
    return checked


def check_upload(upload: FileStorage) -> Upload:
    """An acceptable upload, measured and hashed in chunks; UploadError otherwise."""
    original = clean_name(upload.filename)
    extension = os.path.splitext(original)[1].lower()
    if extension not in ALLOWED_UPLOADS:
        raise UploadError(gettext("«%(name)s»: chỉ nhận PDF, DOCX, XLSX, PNG, JPG.", name=original or gettext("tệp")))
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    stream, size, checksum, head = measure(upload.stream, limit)
    if size > limit:
        raise UploadError(gettext("«%(original)s» lớn hơn %(limit)s MB.", original=original, limit=limit // (1024 * 1024)))
    if not size:
        raise UploadError(gettext("«%(original)s» rỗng.", original=original))
    content_type, magics = ALLOWED_UPLOADS[extension]
    if not head.startswith(magics):
        raise UploadError(gettext("«%(original)s» không đúng định dạng %(extension)s.", original=original, extension=extension[1:].upper()))
    return Upload(original, content_type, stream, size, checksum, head)


def store_uploads(checked: list[Upload], user, *, task: Task | None = None,
                  line=None, submission=None, entry=None) -> list[Attachment]:
    """Write checked files under temporary names and record them; each takes its generated name when the
    transaction commits. The caller records the history.

    All or none: if the storage fails on any file (StorageUnavailable), the ones already written are discarded
    and no row is added, so the caller may keep the rest of its change and say the files can be sent again."""
    staged: list[str] = []
    try:
        for upload in checked:
            staged.append(stage_file(upload.stream))
    except StorageUnavailable:
        _forget(staged)
        raise
    attachments = []
    for upload, stored in zip(checked, staged):
        attachment = Attachment(task_id=task.id if task else None, line=line, submission_id=submission.id if submission else None,
                                entry_id=entry.id if entry else None,
                                stored_name=stored, original_name=upload.original, content_type=upload.content_type,
                                size=upload.size, checksum=upload.checksum, uploaded_by=user)
        db.session.add(attachment)
        attachments.append(attachment)
    db.session.flush()
    return attachments


_PENDING = "tracker.files.pending"
# Domains above this one that keep files of their own (a plan's uploaded document) name them here, so
# the orphan sweep keeps them: functions returning the stored names they point to.
_OTHER_OWNERS: list = []


def stage_file(source: BinaryIO) -> str:
    """Copy a file object (from where it stands, in chunks) under a new generated name, pending until this
    transaction commits (deleted if it rolls back); the name. StorageUnavailable if the storage fails."""
    place = storage()
    stored = uuid.uuid4().hex
    try:
        place.write_pending(stored, source)
    except StorageUnavailable:
        _discard_quietly(place, stored)  # a part may have been written before the failure
        raise
    db.session.info.setdefault(_PENDING, []).append((place, stored))
    return stored


def _forget(names: list[str]) -> None:
    """Discard files this transaction staged, and stop it publishing them at its commit."""
    pending = db.session.info.get(_PENDING, [])
    for place, name in [item for item in pending if item[1] in names]:
        pending.remove((place, name))
        _discard_quietly(place, name)


def _discard_quietly(place, name: str) -> None:
    # Called where an error is already on its way (or the transaction is over): a file that cannot be deleted
    # now is left to `flask files sweep`, which deletes what no row names.
    try:
        place.discard(name)
    except OSError as error:
        log.warning("could not discard the pending file %s: %s", name, error)


def keep_files_named_by(names) -> None:
    """Have the orphan sweep keep the files `names()` returns (a domain above files that stores its own)."""
    if names not in _OTHER_OWNERS:  # every app the process creates registers it again
        _OTHER_OWNERS.append(names)


@event.listens_for(Session, "after_commit")
def _move_into_place(session: Session) -> None:
    for place, name in session.info.pop(_PENDING, ()):
        try:
            place.publish(name)
        except OSError as error:
            # The row is committed and cannot be taken back; raising here would answer an error for a saved
            # change. The pending file stays, and `flask files sweep` publishes it (its row names it).
            log.error("could not publish the file %s after its commit: %s", name, error)


@event.listens_for(Session, "after_soft_rollback")
def _discard(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction: nothing of it will commit
        for place, name in session.info.pop(_PENDING, ()):
            _discard_quietly(place, name)


def open_verified(stored_name: str, checksum: str | None) -> BinaryIO | None:
    """A stored file for sending, at its start, its bytes checked against the SHA-256 recorded at upload before
    any is sent; None if it is missing, FileDamaged (logged) if they differ. A file from before checksums were
    kept (checksum None) is sent as it is. A file that cannot be rewound (an object store's answer) is spooled to
    a temporary file as it is hashed, so it is read from the store once and never held whole in memory."""
    source = storage().open(stored_name)
    if source is None:
        return None
    if checksum is None:
        return source
    try:
        stream, _size, actual, _head = measure(source, 2**62)
    except BaseException:
        source.close()
        raise
    if stream is not source:
        source.close()
    if actual != checksum:
        stream.close()
        log.error("stored file %s does not match its checksum: recorded %s, read %s", stored_name, checksum, actual)
        raise FileDamaged(stored_name)
    return stream


def sweep_orphans(min_age_seconds: int = 3600) -> list[str]:
    """Delete stored files that no attachment names (left by a killed worker), if older than
    min_age_seconds so a request still running keeps its file. Returns the names deleted."""
    place = storage()
    known = set(db.session.scalars(sa.select(Attachment.stored_name)))
    for names in _OTHER_OWNERS:
        known |= set(names())
    removed = []
    for name in place.names(min_age_seconds):
        if name in known:
            continue
        if name.endswith(PENDING) and name.removesuffix(PENDING) in known:
            place.publish(name.removesuffix(PENDING))  # its commit happened; the rename after it did not
            continue
        place.delete(name)
        removed.append(name)
    return removed


def digest_of(place, name: str) -> str | None:
    """The SHA-256 of the stored file `name` as read back from `place`, or None if it is not there."""
    source = place.open(name)
    if source is None:
        return None
    with source:
        digest, _size, _head = _copy(source, None, 2**62, 0)
    return digest.hexdigest()


@dataclass
class Migration:
    """What `migrate_files` did: files copied and verified, found already in place, and the names of those it
    could not move (damaged: not what was uploaded; missing: in neither place; failed: read back different)."""

    copied: int = 0
    present: int = 0
    checksums_recorded: int = 0
    unreferenced: int = 0
    damaged: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def migrate_files(source, target) -> Migration:
    """Copy every file the database names from `source` (the local folder) into `target` (a bucket), each read
    back and compared by SHA-256; idempotent: a file already in the target with the right bytes is left. An
    attachment from before checksums were kept gets its checksum recorded (flushed, not committed). Files no row
    names stay behind (they are `flask files sweep`'s business)."""
    expected: dict[str, str | None] = dict(db.session.execute(sa.select(Attachment.stored_name, Attachment.checksum)).all())
    for names in _OTHER_OWNERS:
        for name in names():
            expected.setdefault(name, None)
    local = set(source.published())
    result = Migration(unreferenced=len(local - set(expected)))
    for name in sorted(expected):
        recorded = expected[name]
        there = digest_of(target, name)
        if name not in local:
            if there is None:
                result.missing.append(name)
            elif recorded and there != recorded:
                result.damaged.append(name)
            else:
                result.present += 1
                result.checksums_recorded += _record_checksum(name, recorded, there)
            continue
        actual = digest_of(source, name)
        if recorded and actual != recorded:
            log.error("local file %s does not match its checksum: recorded %s, read %s", name, recorded, actual)
            result.damaged.append(name)
            continue
        if there == actual:
            result.present += 1
        else:
            with source.open(name) as stream:
                target.write_pending(name, stream)
            target.publish(name)
            if digest_of(target, name) != actual:
                result.failed.append(name)
                continue
            result.copied += 1
        result.checksums_recorded += _record_checksum(name, recorded, actual)
    db.session.flush()
    return result


def _record_checksum(name: str, recorded: str | None, actual: str) -> int:
    if recorded is not None:
        return 0
    return db.session.execute(sa.update(Attachment).where(Attachment.stored_name == name, Attachment.checksum.is_(None))
                              .values(checksum=actual)).rowcount
