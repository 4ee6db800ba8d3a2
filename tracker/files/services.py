"""Checking and storing uploads. Flush, never commit."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

from flask import current_app
from werkzeug.datastructures import FileStorage

from ..extensions import db
from ..plan.models import Task
from ..text import nfc
from .models import Attachment


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


def upload_folder() -> Path:
    """Where attachments are stored: UPLOAD_FOLDER, or instance/uploads."""
    folder = Path(current_app.config.get("UPLOAD_FOLDER") or os.path.join(current_app.instance_path, "uploads"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def check_upload(upload: FileStorage) -> tuple[str, str, bytes]:
    """The original name, content type and bytes of an acceptable upload; UploadError otherwise."""
    original = nfc(os.path.basename((upload.filename or "").replace("\\", "/")))
    extension = os.path.splitext(original)[1].lower()
    if extension not in ALLOWED_UPLOADS:
        raise UploadError(f"«{original or 'tệp'}»: chỉ nhận PDF, DOCX, XLSX, PNG, JPG.")
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise UploadError(f"«{original}» lớn hơn {limit // (1024 * 1024)} MB.")
    if not data:
        raise UploadError(f"«{original}» rỗng.")
    content_type, magics = ALLOWED_UPLOADS[extension]
    if not data.startswith(magics):
        raise UploadError(f"«{original}» không đúng định dạng {extension[1:].upper()}.")
    return original, content_type, data


def store_uploads(checked: list[tuple[str, str, bytes]], user, *, task: Task | None = None,
                  line=None, submission=None) -> list[Attachment]:
    """Write checked files under generated names and record them; the caller records the history."""
    folder = upload_folder()
    attachments = []
    for original, content_type, data in checked:
        stored = uuid.uuid4().hex
        (folder / stored).write_bytes(data)
        attachment = Attachment(task_id=task.id if task else None, line=line, submission_id=submission.id if submission else None,
                                stored_name=stored, original_name=original, content_type=content_type, size=len(data),
                                uploaded_by=user)
        db.session.add(attachment)
        attachments.append(attachment)
    db.session.flush()
    return attachments
