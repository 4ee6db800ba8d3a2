"""Every page as each kind of user reads it: no server error, and no Python None, internal key or
environment variable's name where a person reads (the text, and the title, aria-label, alt and
placeholder attributes). The crawl starts from the landing pages of a plan under way (rounds open,
a report sent back, figures owed, communes) and follows every link of the site it finds."""
from __future__ import annotations

import re
from collections import deque
from datetime import date
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import sqlalchemy as sa

from conftest import PASSWORD
from helpers import line_of, post_line, user_of
from test_dashboard import add_activity, returned_report
from test_indicators import indicator
from test_reminders import sweep_only
from tracker.extensions import db
from tracker.indicators.services import enter_value
from tracker.plan.services import current_plan
from tracker.reporting.models import ReportingRound
from tracker.reporting.services import open_adhoc_round, resolve_bodies

TODAY = date(2021, 5, 20)  # the second quarter's round open, the first's overdue, figures owed for both
ROLES = {"anonymous": None, "office": "vpdp@test.vn", "department": "khdt@test.vn", "district": "dinhlap@test.vn",
         "leader": "lanhdao@test.vn", "district in English": "dinhlap@test.vn"}
LANDINGS = ["/", "/dashboard", "/my", "/agencies", "/indicators", "/indicators/districts", "/indicators/communes",
            "/rounds", "/rounds/new", "/rounds/policy", "/reminders", "/reminders/settings", "/outbox",
            "/profile", "/profile/reminders", "/admin/users", "/login", "/reports/letterhead"]
MAX_PAGES = 400  # a role's crawl
MAX_PER_SHAPE = 12  # pages of one shape (the same path with other numbers, the same query keys)
MAX_PER_PATH = 60  # pages of one path whatever their query (the plan page takes many filters)
# Downloads are read back by the exports' own tests; the crawl reads pages.
SKIP = re.compile(r"^/(static/|reports/quarterly|calendar/|attachments/|files/|api/)|\.(xlsx|docx|csv|ics|pdf)$")
ATTRIBUTES = ("title", "aria-label", "alt", "placeholder")

# What must never reach a reader, and what looks like it but is ordinary text.
NONE = re.compile(r"\bNone\b")
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(_[a-z0-9]+)+\b")
DOTTED = re.compile(r"\b[a-z][a-z0-9]*\.[a-z0-9_]+\b")
ENV = re.compile(r"TRACKER_")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
URL = re.compile(r"\bhttps?://\S+")
FILE_NAME = re.compile(r"\b[\w-]+\.(pdf|docx|xlsx|csv|png|jpe?g|ics)\b", re.IGNORECASE)
LATIN = re.compile(r"\b(e\.g|i\.e)\.")  # English prose


class Readable(HTMLParser):
    """The text a person reads on a page and the attributes a screen reader or a tooltip shows; the
    links to follow."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        values = dict(attrs)
        self.text.extend(values[name] for name in ATTRIBUTES if values.get(name))
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.text.append(data)


def problems(text: str) -> list[str]:
    """Every None, key or variable name in a page's readable text."""
    ordinary = LATIN.sub(" ", FILE_NAME.sub(" ", URL.sub(" ", EMAIL.sub(" ", text))))
    found = [m.group(0) for pattern in (NONE, SNAKE, DOTTED) for m in pattern.finditer(ordinary)]
    return found + ["TRACKER_"] * len(ENV.findall(text))


def local_target(href: str) -> str | None:
    """A link's path and query on this site, or None for elsewhere, fragments and downloads."""
    parts = urlsplit(href)
    if parts.scheme not in ("", "http") or parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
        return None
    if SKIP.search(parts.path):
        return None
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return parts.path + (f"?{query}" if query else "")


def shape(target: str) -> str:
    """Pages of one kind: the path with its numbers and codes replaced, and the query's keys."""
    parts = urlsplit(target)
    path = re.sub(r"/(\d+|[IVX]+\.\d+)(?=/|$)", "/N", parts.path)
    return path + "?" + ",".join(sorted(k for k, _ in parse_qsl(parts.query, keep_blank_values=True)))


def crawl(client, check=None) -> tuple[dict[str, list[str]], dict[str, int], int]:
    """Read the site from the landing pages: each page's problems, each error, how many pages were read
    (`check(target, html)` also sees each HTML page as sent: test_hostile looks for unescaped markup)."""
    seen, shapes, paths = set(), {}, {}
    queue, later = deque(LANDINGS), deque()  # a page of a shape not yet read goes before one more of a known shape
    found, errors, read = {}, {}, 0
    while (queue or later) and read < MAX_PAGES:
        target = (queue or later).popleft()
        if target in seen:
            continue
        kind, path = shape(target), shape(target).split("?")[0]
        if shapes.get(kind, 0) >= MAX_PER_SHAPE or paths.get(path, 0) >= MAX_PER_PATH:
            continue
        if kind in shapes and queue:
            later.append(target)
            continue
        seen.add(target)
        shapes[kind] = shapes.get(kind, 0) + 1
        paths[path] = paths.get(path, 0) + 1
        response = client.get(target)
        read += 1
        if response.status_code >= 500:
            errors[target] = response.status_code
        if response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        if check:
            check(target, html)
        page = Readable()
        page.feed(html)
        bad = problems("\n".join(page.text))
        if bad:
            found[target] = sorted(set(bad))
        for href in page.links:
            local = local_target(href)
            if local and local not in seen:
                (later if shape(local) in shapes else queue).append(local)
    return found, errors, read


@pytest.fixture
def under_way(seeded, travel):
    """The plan on 20/05/2021: lines moving, a report sent back, an ad-hoc round, a figure entered, the
    second quarter's figures owed, reminders queued (no mail server: they wait in the outbox)."""
    travel(TODAY.year, TODAY.month, TODAY.day)
    add_activity(seeded)
    returned_report(seeded, "khdt@test.vn", "Đã phân bổ vốn 80%.", "Thiếu số liệu vốn lồng ghép")
    with seeded.app_context():
        office = user_of("vpdp@test.vn")
        open_adhoc_round(current_plan(2021), "Báo cáo nhanh tình hình giải ngân", date(2021, 6, 5),
                         resolve_bodies("UBND các huyện"), office, TODAY, "Gửi kèm biểu số liệu.")
        enter_value(indicator(seeded, "ocop"), 2021, 1, "4", "Bốn sản phẩm OCOP", office, TODAY)
        db.session.commit()
    sweep_only(seeded, TODAY)
    # The history a task page shows: a line paused, a comment, deadlines moved and set.
    office, officer = seeded.test_client(), seeded.test_client()
    office.post("/login", data={"email": "vpdp@test.vn", "password": PASSWORD})
    officer.post("/login", data={"email": "khdt@test.vn", "password": PASSWORD})
    with seeded.app_context():
        line = line_of("II.1", "Sở Kế hoạch và Đầu tư")
        lid, version = line.id, line.version
    assert post_line(officer, "II.1", lid, version=version, status="paused",
                     paused_reason="Chờ ý kiến UBND tỉnh").status_code == 302
    assert officer.post("/tasks/II.1/comments", data={"body": "Đề nghị Sở Tài chính phối hợp."}).status_code == 302
    for code, due, reason in (("II.1", "2021-06-30", "UBND tỉnh cho lùi hạn"),
                              ("II.3", "2021-09-30", "VPĐP xác định từ văn bản gốc")):
        assert office.post(f"/tasks/{code}/deadline", data={"due_on": due, "reason": reason}).status_code == 302
    return seeded


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_speaks_in_names_never_keys(under_way, client, auth, role):
    if ROLES[role]:
        assert auth.login(ROLES[role]).status_code == 302
    if role.endswith("in English"):
        assert client.post("/language", data={"language": "en", "next": "/"}).status_code == 302
    found, errors, read = crawl(client)
    assert not errors, errors
    assert not found, "\n".join(f"{page}: {', '.join(words)}" for page, words in found.items())
    assert read >= (3 if role == "anonymous" else 60)


def test_the_scan_finds_what_it_is_for():
    """The patterns catch the words the issue saw, and leave addresses and file names alone."""
    assert problems("Gửi None.") == ["None"]
    assert sorted(problems("funding.direct, tc18.1 và model_residential_areas")) == \
        ["funding.direct", "model_residential_areas", "tc18.1"]
    assert problems("Đặt TRACKER_SMTP_HOST") == ["TRACKER_"]
    assert problems("vpdp@demo.local gửi bao-cao.docx, xem https://langson.gov.vn/a_b.c") == []
    assert problems("Nội dung công việc; 13.5 tiêu chí/xã; II.3; e.g. Đình Lập") == []


def test_a_round_names_who_owes_which_figures(seeded, client, auth):
    """The figures still owed are listed by body and by indicator name; every district owes its own."""
    auth.login()
    with seeded.app_context():
        q1 = db.session.scalar(sa.select(ReportingRound).where(ReportingRound.title == "Báo cáo quý I năm 2021"))
        q1_id, note = q1.id, q1.note
        areas = indicator(seeded, "model_residential_areas").name
    assert note == "Gửi Ban Chỉ đạo các Chương trình MTQG tỉnh, qua Văn phòng Điều phối NTM tỉnh."
    page = client.get(f"/rounds/{q1_id}").get_data(as_text=True)
    owed = re.findall(r"<li>([^:<]+): (.*?)</li>", between_owed(page))
    owers = [name for name, _ in owed]
    assert len(owers) == len(set(owers))  # each body once
    districts = [name for name, items in owed if areas in items]
    assert len(districts) == 11 and "UBND huyện Đình Lập" in districts
    assert "Văn phòng Điều phối" not in " ".join(districts)


def between_owed(page: str) -> str:
    rest = page[page.index("Cơ quan còn thiếu số liệu chỉ tiêu:"):]
    return rest[:rest.index("</ul>")]


def test_a_closed_rounds_note_broken_by_an_older_version_is_mended(seeded):
    from tracker.reporting.services import ensure_quarterly_rounds

    with seeded.app_context():
        q1 = db.session.scalar(sa.select(ReportingRound).where(ReportingRound.title == "Báo cáo quý I năm 2021"))
        q1.note = "Gửi None."
        db.session.commit()
        ensure_quarterly_rounds(q1.plan, date(2021, 5, 20))  # Q1 is closed then: its dates stay as they were
        db.session.commit()
        assert q1.note.startswith("Gửi Ban Chỉ đạo") and q1.due_on == date(2021, 3, 18)
