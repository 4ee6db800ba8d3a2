"""Hostile data: data never reaches gettext, and a script payload in a section title is shown escaped."""
from __future__ import annotations

import ast
import pathlib
import re

import pytest
import sqlalchemy as sa

from conftest import PASSWORD

from test_crawl import under_way  # noqa: F401 (the fixture: a plan under way)
from tracker import i18n

TRANSLATORS = {"_", "_l", "gettext", "lazy_gettext", "ngettext", "lazy_ngettext", "pgettext", "npgettext"}
ROOT = pathlib.Path(__file__).resolve().parent.parent
# The one door (i18n.label) and WTForms' own message catalogue (VietnameseMessages, English literals).
ALLOWED = {("tracker/i18n.py", "label"), ("tracker/forms.py", "ngettext")}


class _Calls(ast.NodeVisitor):
    """Each call to a translation function whose message is not a literal, with its enclosing function."""

    def __init__(self, rel: str):
        self.rel, self.owner, self.found = rel, None, []

    def visit_FunctionDef(self, node):
        outer, self.owner = self.owner, node.name
        self.generic_visit(node)
        self.owner = outer

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node):
        f = node.func
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
        if name in TRANSLATORS and (self.rel, self.owner) not in ALLOWED:
            message = node.args[:2] if "ngettext" in name else node.args[:1]
            if not message or not all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in message):
                self.found.append(f"{self.rel}:{node.lineno} {ast.unparse(node)[:80]}")
        self.generic_visit(node)


def _non_literal_calls() -> list[str]:
    found = []
    for path in sorted((ROOT / "tracker").rglob("*.py")):
        calls = _Calls(path.relative_to(ROOT).as_posix())
        calls.visit(ast.parse(path.read_text(encoding="utf-8")))
        found += calls.found
    return found


def test_gettext_is_called_on_literals_only():
    assert _non_literal_calls() == []


def test_templates_translate_literals_only():
    bad = []
    pattern = re.compile(r"(?<![A-Za-z0-9_])(_|gettext|ngettext)\(\s*(?!['\"])")
    for path in sorted((ROOT / "templates").rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                bad.append(f"{path.relative_to(ROOT)}:{number}")
    assert bad == []


def test_label_refuses_data(app):
    payload = '<script>alert("x")</script>'
    with app.test_request_context():
        assert i18n.label("Quá hạn") in ("Quá hạn", "Overdue")
        with pytest.raises(ValueError):
            i18n.label(payload)
        with pytest.raises(ValueError):
            i18n.lazy_label(payload)


# A script payload in every text a person or an import sets, each with its own marker so a failure names the field.
FIELDS = {
    "plan.models": {"Plan": ["title", "note", "issuer"], "Section": ["title"],
                    "Task": ["title", "lead_text", "executing_text", "coordinating_text", "flag_note"],
                    "Agency": ["name", "note"], "AgencyAlias": ["alias"]},
    "progress.models": {"StatusLine": ["note", "paused_reason"], "Comment": ["body"], "TaskEvent": ["reason"]},
    "reporting.models": {"ReportingRound": ["title", "note"], "Submission": ["body", "return_reason"]},
    "indicators.models": {"IndicatorEntry": ["note"], "CommuneCriterion": ["note"], "Commune": ["name"]},
    "files.models": {"Attachment": ["original_name"]},
    "auth.models": {"User": ["name"], "ApiToken": ["name"]},
    "exports.letterhead": {"LetterheadSettings": ["parent_body", "issuing_body", "symbol", "place", "recipients",
                                                  "filing", "authority", "signer_title", "signer_name"]},
    # A line the calendar cannot read is ignored by the planner; the settings page shows it back as typed.
    "reminders.models": {"ReminderSettings": ["holidays"]},
}
SINGLE_ROWS = {"/reports/letterhead": {
    "parent_body": "UBND tỉnh Lạng Sơn", "issuing_body": "Ban Chỉ đạo các Chương trình MTQG tỉnh",
    "symbol": "BC-BCĐ", "place": "Lạng Sơn", "recipients": "UBND tỉnh (b/c)", "filing": "Lưu: VT, VPĐP.",
    "authority": "TM. Ban Chỉ đạo", "signer_title": "Phó Trưởng ban", "signer_name": "Nguyễn Văn Bình"},
    "/reminders/settings": {"before_days": "5", "digest_weekday": "1", "nudge_days": "10", "catch_up_days": "3",
                            "holidays": "09-03"}}
RAW = ('<script>alert("', "<img src=x onerror")  # the payload's markup, unescaped


def payload(marker: str) -> str:
    return f'<script>alert("{marker}")</script><img src=x onerror=alert({marker})>"\'&;,'


def poison(app) -> dict[str, str]:
    """Every listed text column of every row set to a payload naming its model and column; the markers."""
    import importlib

    from tracker.extensions import db

    office = app.test_client()
    office.post("/login", data={"email": "vpdp@test.vn", "password": PASSWORD})
    for path, form in SINGLE_ROWS.items():  # the office's settings exist as the office saves them
        assert office.post(path, data=form).status_code == 302, path
    markers = {}
    with app.app_context():
        for module, models in FIELDS.items():
            for model_name, columns in models.items():
                model = getattr(importlib.import_module(f"tracker.{module}"), model_name)
                for column in columns:
                    marker = f"H{len(markers)}"
                    markers[marker] = f"{model_name}.{column}"
                    length = getattr(model.__table__.c[column].type, "length", None)
                    text = payload(marker)
                    if length and length < len(text) + 6:
                        continue
                    key = list(model.__table__.primary_key)[0]  # unique names stay unique
                    db.session.execute(db.update(model).values(
                        {column: sa.literal(text, sa.String) + sa.cast(key, sa.String)}))
        db.session.commit()
    return markers


@pytest.mark.parametrize("role", ["anonymous", "office", "department", "district", "leader", "office in English"])
def test_hostile_data_is_shown_escaped_on_every_page(under_way, client, auth, role):
    from test_crawl import ROLES, crawl

    markers = poison(under_way)
    if role in ROLES and ROLES[role] or role == "office in English":
        assert auth.login(ROLES.get(role) or ROLES["office"]).status_code == 302
    if role.endswith("in English"):
        assert client.post("/language", data={"language": "en", "next": "/"}).status_code == 302
    unescaped, shown = {}, set()

    def check(target: str, html: str) -> None:
        for raw in RAW:
            if raw in html:
                at = html.index(raw)
                fields = sorted({markers.get(m, m) for m in re.findall(r'alert\(\"?(H\d+)', html[at - 1:at + 80])})
                unescaped.setdefault(target, f"{fields} …{html[max(0, at - 60):at + 60]}…")
        shown.update(re.findall(r"alert\((?:&#34;|&quot;|&#x22;)(H\d+)", html))

    _, errors, read = crawl(client, check)
    assert not errors, errors
    assert not unescaped, "\n".join(f"{page}: {near}" for page, near in unescaped.items())
    assert read >= (3 if role == "anonymous" else 60)
    if role != "anonymous":
        # The data is there, as text: the section title, agency names, notes, comments, rounds, communes.
        names = {markers[m] for m in shown}
        expected = ["Section.title", "Agency.name", "StatusLine.note", "Comment.body", "ReportingRound.title",
                    "Task.title", "User.name"]
        if role.startswith("office"):
            expected += ["LetterheadSettings.signer_name", "ReminderSettings.holidays", "Commune.name"]
        for field in expected:
            assert field in names, (field, sorted(names))


def test_hostile_data_is_plain_text_in_exports_and_the_api(under_way, client, auth):
    """Exports and the API carry the payload as data: literal text in each format, JSON as JSON."""
    import csv
    import io

    import docx
    import openpyxl

    markers = poison(under_way)
    title = next(m for m, field in markers.items() if field == "Task.title")
    text = f'<script>alert("{title}")</script>'
    auth.login()
    rows = list(csv.reader(io.StringIO(client.get("/reports/quarterly.csv?year=2021&quarter=1")
                                       .get_data(as_text=True).lstrip("\ufeff"))))
    assert any(cell.startswith(text) for row in rows for cell in row)
    with client.get("/reports/quarterly.xlsx?year=2021&quarter=1") as response:
        book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    cells = [c.value for sheet in book for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(value.startswith(text) for value in cells)
    document = docx.Document(io.BytesIO(client.get("/reports/quarterly.docx?year=2021&quarter=1").get_data()))
    words = "\n".join(p.text for p in document.paragraphs) + "\n".join(
        cell.text for table in document.tables for row in table.rows for cell in row.cells)
    plan = next(m for m, field in markers.items() if field == "Plan.title")
    assert f'<script>alert("{plan}")</script>' in words  # the report names the plan; XML escaping is the library's
    signer = next(m for m, field in markers.items() if field == "LetterheadSettings.signer_name")
    assert f'<script>alert("{signer}")</script>' in words  # the letterhead's signature block, as typed
    response = client.get("/api/v1/tasks/II.1")
    assert response.mimetype == "application/json"
    assert response.get_json()["title"].startswith(text)


def test_hostile_data_is_escaped_in_the_reminder_mails(under_way):
    """A digest planned after the data turned hostile: its HTML part shows the data as text."""
    from datetime import date

    from test_reminders import sweep_only
    from tracker.extensions import db
    from tracker.reminders.models import OutboxMessage

    with under_way.app_context():
        before = db.session.scalar(sa.select(sa.func.max(OutboxMessage.id))) or 0
    poison(under_way)
    for day in (date(2021, 5, 24), date(2021, 6, 1), date(2021, 6, 25), date(2021, 7, 1)):
        sweep_only(under_way, day)
    with under_way.app_context():
        bodies = db.session.scalars(sa.select(OutboxMessage.html_body).where(OutboxMessage.id > before)).all()
    assert bodies
    assert not [body for body in bodies if any(raw in body for raw in RAW)]
    assert any("&lt;script&gt;alert(" in body for body in bodies)


def test_hostile_data_is_escaped_in_the_calendar_feed(under_way, client, auth):
    """The ICS feed escapes per RFC 5545 (a comma, a semicolon, a new line cannot start a property) and
    reads back as the same text."""
    from icalendar import Calendar

    from test_exports import calendar_address

    markers = poison(under_way)
    auth.login("khdt@test.vn")
    feed = client.get(calendar_address(client).removeprefix("http://localhost"))
    assert feed.status_code == 200
    summaries = [str(event.get("summary", "")) + str(event.get("description", ""))
                 for event in Calendar.from_ical(feed.data).walk("VEVENT")]
    title = next(m for m, field in markers.items() if field == "Task.title")
    assert any(f'<script>alert("{title}")</script>' in text for text in summaries)
    assert b"&\\;\\," in feed.data.replace(b"\r\n ", b"")  # RFC 5545 §3.3.11 TEXT escaping


def test_hostile_data_is_escaped_in_the_invitation_mail(under_way, client, auth):
    """An invitation names the person and their agency: both reach the mail as text."""
    from tracker.auth.models import User
    from tracker.extensions import db
    from tracker.reminders.models import OutboxMessage

    markers = poison(under_way)
    with under_way.app_context():
        user_id = db.session.scalar(sa.select(User.id).where(User.email == "taichinh@test.vn"))
        before = db.session.scalar(sa.select(sa.func.max(OutboxMessage.id))) or 0
    auth.login()
    assert client.post(f"/admin/users/{user_id}/invitation").status_code == 302
    with under_way.app_context():
        mail = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.id > before)).one()
    name = next(m for m, field in markers.items() if field == "User.name")
    assert not [raw for raw in RAW if raw in mail.html_body]
    assert f"&lt;script&gt;alert(&#34;{name}&#34;)" in mail.html_body or f"&lt;script&gt;alert(&quot;{name}&quot;)" in mail.html_body
    assert f'<script>alert("{name}")</script>' in mail.text_body  # plain text is text
