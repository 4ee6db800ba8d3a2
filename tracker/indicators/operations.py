"""Every change to the plan's numbers: a quarter's figure, the body that reports an indicator, a commune's
criteria, the communes file.

Each takes the acting user and shaped input, asks the policy, flushes and raises a DomainError; never commits
(tracker/operations.py). The command line (cli.py) takes a file through the same services, as the administrator.
"""
from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path

from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from ..auth.policy import can_edit_commune, can_enter_figure, own_district_only, require_office
from ..extensions import db
from ..files.services import checked_uploads, store_uploads
from ..operations import Invalid, NotAllowed, operation
from ..plan.models import Agency
from . import services
from .models import Commune, Indicator, IndicatorEntry

IMPORT_SUFFIXES = (".csv", ".xlsx")


def check_may_enter(actor, indicator: Indicator) -> None:
    """NotAllowed unless the actor may enter the indicator's figures."""
    if not can_enter_figure(actor, indicator):
        raise NotAllowed(_("Chỉ cơ quan được giao báo cáo chỉ tiêu này (hoặc Văn phòng Điều phối) nhập số liệu."))


def check_may_edit(actor, commune: Commune) -> None:
    """NotAllowed unless the actor may record the commune's criteria."""
    if not can_edit_commune(actor, commune):
        raise NotAllowed(_("Chỉ huyện của xã (hoặc Văn phòng Điều phối) cập nhật tiêu chí của xã."))



def figure_district(actor, indicator: Indicator, district_id: int | None) -> Agency | None:
    """The district a figure is for: a district's own officer always enters its own, whatever it chose."""
    if own_district_only(actor, indicator):
        return actor.agency
    return db.session.get(Agency, district_id) if district_id else None


@operation
def enter_figure(actor, indicator: Indicator, quarter: int, value: str, note: str, today: date,
                 district_id: int | None = None, files: list[FileStorage] | None = None) -> IndicatorEntry:
    """The responsible body (a district its own, or the office) enters a quarter's figure, with evidence."""
    check_may_enter(actor, indicator)
    checked = checked_uploads(files)
    try:
        entry = services.enter_value(indicator, indicator.plan.year, quarter, value, note, actor, today,
                                     district=figure_district(actor, indicator, district_id))
    except services.FigureError as exc:
        raise Invalid({exc.field: str(exc)}) from None
    store_uploads(checked, actor, entry=entry)
    return entry


@operation(audited=True)
def set_responsible(actor, indicator: Indicator, agency_id: int | None) -> Agency | None:
    """The office names the body (never a group) that reports an indicator, or none; the body named."""
    require_office(actor)
    agency = db.session.get(Agency, agency_id) if agency_id else None
    if agency_id and (agency is None or agency.level == "group"):
        raise Invalid({"agency": _("Chọn một cơ quan trong danh sách.")})
    services.set_responsible(indicator, agency)
    return agency


@operation
def update_commune(actor, commune: Commune, since: date, met: set[int], note: str, today: date) -> int:
    """The commune's district (or the office) records what it meets from a date on; how many criteria changed."""
    check_may_edit(actor, commune)
    try:
        return services.set_criteria(commune, since, set(met), note, actor, today)
    except services.FigureError as exc:
        raise Invalid({exc.field: str(exc)}) from None


@operation(audited=True)
def import_communes(actor, upload: FileStorage | None, today: date) -> services.ImportSummary:
    """The office takes the districts' communes file (CSV or XLSX): all of it, or Invalid naming each bad line."""
    require_office(actor)
    if not isinstance(upload, FileStorage) or not upload.filename:
        raise Invalid({"file": _("Chọn tệp CSV hoặc XLSX.")})
    suffix = os.path.splitext(upload.filename)[1].lower()
    if suffix not in IMPORT_SUFFIXES:
        raise Invalid({"file": _("Chỉ nhận tệp .csv hoặc .xlsx.")})
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"communes{suffix}"
        upload.save(path)
        try:
            return services.import_file(path, actor, today)
        except services.FigureError as exc:
            raise Invalid({"file": [line for line in str(exc).splitlines() if line.strip()]}) from None

