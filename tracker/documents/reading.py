"""The reader: the scheduler's job that reads uploaded documents into proposed rows, outside any request.

It commits its own progress, page by page (so the office's page can show it and a dead reader's document can
be taken up again by another process), and records every failure on the document, never leaving it "reading".
"""
from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from sqlalchemy.orm.exc import StaleDataError

from ..clock import utcnow
from ..extensions import db
from ..files.services import FileDamaged, open_verified
from ..files.storage import StorageUnavailable
from ..plan.services import alias_map
from .models import FIELDS, PlanDocument, ProposedRow
from .proposal import propose
from .readers import read_document
from .table import DocumentError

log = logging.getLogger("tracker.documents")

MAX_ATTEMPTS = 3  # a document that kills its reader three times is refused, not retried for ever


@contextlib.contextmanager
def local_copy(document: PlanDocument) -> Iterator[Path]:
    """The document's bytes as a file on this host's disk, for the readers, removed afterwards."""
    try:
        source = open_verified(document.stored_name, document.checksum)
    except FileDamaged:
        raise DocumentError(gettext("Tệp đã tải lên không còn giống bản gốc trong kho lưu trữ (có thể đã hỏng); "
                                    "hãy tải lên lại.")) from None
    if source is None:
        raise DocumentError(gettext("Tệp đã tải lên không còn trong kho lưu trữ; hãy tải lên lại."))
    with tempfile.TemporaryDirectory(prefix="tracker-document-") as folder:
        path = Path(folder) / "document"
        with source, open(path, "wb") as target:
            shutil.copyfileobj(source, target)
        yield path


def claim_next(now: datetime, stale_seconds: int) -> PlanDocument | None:
    """Take the oldest document waiting to be read, or one whose reader died (no heartbeat for
    stale_seconds); None if there is none or another process took it first."""
    stale = now - timedelta(seconds=stale_seconds)
    document = db.session.scalar(
        sa.select(PlanDocument)
        .where(sa.or_(PlanDocument.status == "queued",
                      sa.and_(PlanDocument.status == "reading", PlanDocument.heartbeat_at < stale)))
        .order_by(PlanDocument.id).limit(1))
    if document is None:
        return None
    document.status, document.heartbeat_at, document.pages_done = "reading", now, 0
    document.attempts += 1
    try:
        db.session.flush()  # the version column: two readers cannot both claim it
    except StaleDataError:
        db.session.rollback()
        return None
    return document


def read(document: PlanDocument, now=utcnow) -> None:
    """Read a claimed document into proposed rows, committing progress page by page; a failure is
    recorded on the document with its message (never left "reading")."""
    config = current_app.config
    if document.attempts > MAX_ATTEMPTS:
        _fail(document, gettext("Việc đọc tệp bị gián đoạn %(times)s lần; hãy thử tải lên lại hoặc dùng bản DOCX/XLSX.",
                                times=MAX_ATTEMPTS), now())
        return
    extension = Path(document.original_name).suffix.lower()

    def page_done(done: int, total: int) -> None:
        document.pages_done, document.pages_total, document.heartbeat_at = done, total, now()
        db.session.commit()

    try:
        with local_copy(document) as path:
            reading = read_document(path, extension, max_pages=config["DOCUMENT_MAX_PAGES"], on_page=page_done)
        proposed = propose(reading.rows, alias_map(), document.year)
    except DocumentError as exc:
        _fail(document, str(exc), now())
        return
    for row in list(document.rows):
        db.session.delete(row)
    db.session.flush()
    for item in proposed:
        image = reading.rows[item.source].image if 0 <= item.source < len(reading.rows) else None
        db.session.add(ProposedRow(
            document=document, position=item.position, page=item.page, is_section=item.is_section,
            **{name: getattr(item, name) for name in FIELDS},
            flags={name: codes for name, codes in item.flags.items() if codes}, read_as=dict(item.read_as),
            image=image, has_image=image is not None))
    document.status, document.error, document.finished_at = "ready", "", now()
    document.scanned_pages, document.pages_total = reading.scanned_pages, reading.pages
    document.pages_done = reading.pages
    db.session.commit()


def _fail(document: PlanDocument, message: str, at: datetime) -> None:
    db.session.rollback()
    document = db.session.get(PlanDocument, document.id)
    document.status, document.error, document.finished_at = "failed", message, at
    db.session.commit()


def _release(document: PlanDocument) -> None:
    db.session.rollback()
    document = db.session.get(PlanDocument, document.id)
    document.status, document.attempts, document.heartbeat_at = "queued", max(0, document.attempts - 1), None
    db.session.commit()


def read_waiting_documents(now=utcnow) -> int:
    """The reader's job: read every document waiting (or abandoned by a dead reader); how many."""
    config = current_app.config
    count = 0
    while (document := claim_next(now(), config["DOCUMENT_STALE_SECONDS"])) is not None:
        db.session.commit()
        log.info("reading document %s (%s), attempt %s", document.id, document.original_name, document.attempts)
        try:
            read(document, now)
        except StorageUnavailable:
            # The file store is down: not the document's fault, so it waits in the queue, its attempt not
            # counted, and the reader tries again on its next run rather than spinning on it now.
            log.warning("document %s waits: the file storage is unavailable", document.id)
            _release(document)
            break
        except Exception:  # an unexpected fault: recorded, never a document stuck "reading"
            log.exception("document %s could not be read", document.id)
            _fail(document, gettext("Có lỗi khi đọc tệp; Văn phòng có thể tải lên lại. Lỗi đã được ghi lại để kiểm tra."),
                  now())
        count += 1
    return count
