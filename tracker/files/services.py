"""Checking and storing uploads. Flush, never commit.

A file is written under a pending name while the request runs (see storage.py) and published under
its generated name only when the transaction commits; a rollback deletes it. A worker killed in
between leaves only a pending file, which `flask --app wsgi files sweep` removes with any file no
attachment points to.
"""
from __future__ import annotations

import os
import unicodedata
import uuid

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
from .storage import storage


class UploadError(ValueError):
    """A file that is refused: wrong type, too large, empty."""


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


def checked_uploads(files: list[FileStorage] | None, field: str = "attachments") -> list[tuple[str, str, bytes]]:
    """Each posted file's name, type and bytes (blank file inputs skipped); Invalid naming the first refused one."""
    checked = []
    for upload in files or []:
        if upload and upload.filename:
            try:
                checked.append(check_upload(upload))
            except UploadError as exc:
                raise Invalid({field: str(exc)}) from None
    return checked


def check_upload(upload: FileStorage) -> tuple[str, str, bytes]:
    """The original name, content type and bytes of an acceptable upload; UploadError otherwise."""
    original = clean_name(upload.filename)
    extension = os.path.splitext(original)[1].lower()
    if extension not in ALLOWED_UPLOADS:
        raise UploadError(gettext("«%(name)s»: chỉ nhận PDF, DOCX, XLSX, PNG, JPG.", name=original or gettext("tệp")))
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise UploadError(gettext("«%(original)s» lớn hơn %(limit)s MB.", original=original, limit=limit // (1024 * 1024)))
    if not data:
        raise UploadError(gettext("«%(original)s» rỗng.", original=original))
    content_type, magics = ALLOWED_UPLOADS[extension]
    if not data.startswith(magics):
        raise UploadError(gettext("«%(original)s» không đúng định dạng %(extension)s.", original=original, extension=extension[1:].upper()))
    return original, content_type, data


def store_uploads(checked: list[tuple[str, str, bytes]], user, *, task: Task | None = None,
                  line=None, submission=None, entry=None) -> list[Attachment]:
    """Write checked files under temporary names and record them; each takes its generated name when the
    transaction commits. The caller records the history."""
    attachments = []
    for original, content_type, data in checked:
        stored = stage_file(data)
        attachment = Attachment(task_id=task.id if task else None, line=line, submission_id=submission.id if submission else None,
                                entry_id=entry.id if entry else None,
                                stored_name=stored, original_name=original, content_type=content_type, size=len(data),
                                uploaded_by=user)
        db.session.add(attachment)
        attachments.append(attachment)
    db.session.flush()
    return attachments


_PENDING = "tracker.files.pending"
# Domains above this one that keep files of their own (a plan's uploaded document) name them here, so
# the orphan sweep keeps them: functions returning the stored names they point to.
_OTHER_OWNERS: list = []


def stage_file(data: bytes) -> str:
    """Write bytes under a new generated name, pending until this transaction commits (deleted if it
    rolls back); the name."""
    place = storage()
    stored = uuid.uuid4().hex
    place.write_pending(stored, data)
    db.session.info.setdefault(_PENDING, []).append((place, stored))
    return stored


def keep_files_named_by(names) -> None:
    """Have the orphan sweep keep the files `names()` returns (a domain above files that stores its own)."""
    if names not in _OTHER_OWNERS:  # every app the process creates registers it again
        _OTHER_OWNERS.append(names)


@event.listens_for(Session, "after_commit")
def _move_into_place(session: Session) -> None:
    for place, name in session.info.pop(_PENDING, ()):
        place.publish(name)


@event.listens_for(Session, "after_soft_rollback")
def _discard(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction: nothing of it will commit
        for place, name in session.info.pop(_PENDING, ()):
            place.discard(name)


def sweep_orphans(min_age_seconds: int = 3600) -> list[str]:
    """Delete stored files that no attachment names (left by a killed worker), if older than
    min_age_seconds so a request still running keeps its file. Returns the names deleted."""
    place = storage()
    known = set(db.session.scalars(sa.select(Attachment.stored_name)))
    for names in _OTHER_OWNERS:
        known |= set(names())
    removed = [name for name in place.names(min_age_seconds) if name not in known]
    for name in removed:
        place.delete(name)
    return removed
