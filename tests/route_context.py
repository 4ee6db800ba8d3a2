"""The records the route table's requests point at, made in a fresh copy of the seeded database for each case:
a line, a submission, a token, a calendar address, a queued message, an attachment, an invitation…"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import url_for
from werkzeug.datastructures import FileStorage

from helpers import line_of, task_of, user_of
from tracker.auth.invitations import invitation_token
from tracker.auth.models import AccessRequest, ApiToken
from tracker.documents.models import PlanDocument, ProposedRow
from tracker.extensions import db
from tracker.files.services import check_upload, store_uploads
from tracker.indicators.models import Commune, Indicator
from tracker.plan.models import Assignment, Task
from tracker.reminders.mail import new_message_id
from tracker.reporting.models import ReportingRound
from tracker.reporting.services import open_adhoc_round, resolve_bodies, submit_report
from tracker.reminders.models import OutboxMessage

# The officer of the body that owns what a row points at, and an officer of a body that does not.
OWN = "khdt@test.vn"  # Sở KH&ĐT: executes II.1, reports funding.direct, submitted the Q1 report
OTHER = "noivu@test.vn"  # Sở Nội vụ: not named on II.1
DISTRICT = "dinhlap@test.vn"  # huyện Đình Lập: records its communes' criteria
LEADER = "lanhdao@test.vn"
OFFICE = "vpdp@test.vn"
TODAY = date(2021, 5, 10)
PDF = b"%PDF-1.4\n% route table\n"


@dataclass
class Context:
    """Ids and secrets of the records each row's request needs."""

    app: object
    line: int
    assignment: int
    user: int
    agency: int
    q1: int
    submission: int
    adhoc: int
    token: int
    calendar: str
    message: int
    attachment: int
    invitation: str
    indicator: int
    commune: int
    district: int
    document: int
    row: int
    access_request: int = 0

    def url(self, endpoint: str, **values) -> str:
        """The path of an endpoint, as the app builds it."""
        with self.app.test_request_context():
            return url_for(endpoint, **values)


def build_context(app) -> Context:
    """Make the records the table's requests need and return their ids (call with `today` at TODAY)."""
    with app.app_context():
        own = user_of(OWN)
        line = line_of("II.1", "Sở Kế hoạch và Đầu tư")
        assignment = db.session.scalar(sa.select(Assignment).join(Assignment.task).where(
            Task.code == "II.1", Assignment.role == "coordinating"))
        q1 = db.session.scalar(sa.select(ReportingRound).where(ReportingRound.title == "Báo cáo quý I năm 2021"))
        submission = submit_report(q1, own.agency, own, "Báo cáo quý I của Sở KH&ĐT", date(2021, 3, 10))
        # Owed by Sở KH&ĐT alone, so that Sở Nội vụ's officer is "another body" for it.
        adhoc = open_adhoc_round(q1.plan, "Báo cáo đột xuất về vốn", date(2021, 6, 30), resolve_bodies("Sở KH&ĐT"),
                                 user_of(OFFICE), TODAY)
        token, _secret = ApiToken.issue(own, "phần mềm báo cáo")
        calendar = own.issue_calendar_token()
        message = OutboxMessage(to_address=OWN, recipient_id=own.id, subject="Nhắc hạn", text_body="Nội dung",
                                html_body="<p>Nội dung</p>", message_id=new_message_id(), status="unconfirmed")
        db.session.add(message)
        [attachment] = store_uploads([check_upload(FileStorage(io.BytesIO(PDF), "bien-ban.pdf"))], own,
                                     task=task_of("II.1"))
        taichinh = user_of("taichinh@test.vn")
        indicator = db.session.scalar(sa.select(Indicator).where(Indicator.key == "funding.direct"))
        district = user_of(DISTRICT).agency
        commune = db.session.scalar(sa.select(Commune).where(Commune.district_id == district.id).order_by(Commune.id))
        document, row = plan_document()
        # Someone the directory vouched for whose department the tracker does not know by that name.
        access_request = AccessRequest(directory="ldap", login="uid=phamvane,ou=people,dc=langson,dc=gov,dc=vn",
                                       email="phamvane@langson.gov.vn", name="Phạm Văn E",
                                       agency_text="Sở Nông nghiệp và PTNT", role="officer", attempts=1)
        db.session.add(access_request)
        db.session.commit()
        return Context(app=app, line=line.id, assignment=assignment.id, user=taichinh.id, agency=own.agency_id,
                       q1=q1.id, submission=submission.id, adhoc=adhoc.id, token=token.id, calendar=calendar,
                       message=message.id, attachment=attachment.id, invitation=invitation_token(taichinh),
                       indicator=indicator.id, commune=commune.id, district=district.id, document=document.id,
                       row=row.id, access_request=access_request.id)


DOCUMENT_YEAR = 2022


def plan_document() -> tuple[PlanDocument, ProposedRow]:
    """Next year's plan, read from a scan and waiting for review: a section and an item, the item's timeline flagged."""
    document = PlanDocument(year=DOCUMENT_YEAR, original_name="ke-hoach-2022.pdf", content_type="application/pdf",
                            size=1000, checksum="0" * 64, stored_name="route-table-document", status="ready",
                            pages_total=1, pages_done=1, scanned_pages=1)
    db.session.add(document)
    db.session.add(ProposedRow(document=document, position=1, page=1, is_section=True, tt="I", title="Kiện toàn bộ máy"))
    row = ProposedRow(document=document, position=2, page=1, tt="1", title="Kiện toàn Ban Chỉ đạo các cấp",
                      lead="BCĐ tỉnh", executing="Sở KH&ĐT", coordinating="VPĐP tỉnh", timeline="Quý I",
                      flags={"timeline": ["low_confidence"]}, read_as={}, image=JPEG, has_image=True)
    db.session.add(row)
    db.session.flush()
    return document, row


# A 1×1 grey JPEG: a row's strip of the scan.
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912"
                     "130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b08000100"
                     "0101011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b51000020103030204"
                     "03050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a16"
                     "1718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a"
                     "838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6"
                     "d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00fbd3ffd9")


# Bookkeeping a request may leave whatever it is answered: when a token was last used.
BOOKKEEPING = {"api_token": {"last_used_at"}}


def snapshot(app) -> dict[str, list[tuple]]:
    """Every row of every table: what a refused request must leave as it found it."""
    with app.app_context():
        return {table.name: sorted(map(tuple, db.session.execute(sa.select(
                    *(c for c in table.columns if c.name not in BOOKKEEPING.get(table.name, ()))))), key=repr)
                for table in db.metadata.sorted_tables}


def changed_tables(before: dict, after: dict) -> list[str]:
    """The tables whose rows differ."""
    return [name for name in before if before[name] != after[name]]
