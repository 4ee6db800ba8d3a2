"""Two languages: every string of the interface in the English catalogue, English pages with no Vietnamese
of ours left (the plan's own words are data and stay), Vietnamese pages with no English, mail in the
recipient's language, dates dd/mm/yyyy in both."""
from __future__ import annotations

import io
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tracker.auth.models import User
from tracker.extensions import db

ROOT = Path(__file__).parents[1]
CATALOGUE = ROOT / "tracker" / "translations" / "en" / "LC_MESSAGES"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None, "N_": None}
# Letters that only Vietnamese uses (English text never has them).
VIETNAMESE = re.compile(r"[ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ]", re.I)


def extracted() -> set[str]:
    """Every message the code and the templates mark, as `make translations` extracts them."""
    with open(ROOT / "tracker" / "translations" / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    for _path, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else message[0])
    return found


def english() -> dict[str, str]:
    with open(CATALOGUE / "messages.po", "rb") as po:
        return {m.id: m.string for m in read_po(po) if m.id}


def test_every_message_has_an_english_translation():
    catalogue = english()
    missing = sorted(m for m in extracted() if m not in catalogue or not catalogue[m])
    assert missing == [], "run `make translations` and translate these in messages.po"


def test_the_compiled_catalogue_is_the_one_written():
    with open(CATALOGUE / "messages.mo", "rb") as mo:
        compiled = {m.id: m.string for m in read_mo(mo) if m.id}
    assert compiled == english(), "run `make translations` to compile messages.po"


def test_translations_keep_their_placeholders():
    for message, translation in english().items():
        assert sorted(re.findall(r"%\(\w+\)[sd]", message)) == sorted(re.findall(r"%\(\w+\)[sd]", translation)), message


class VisibleText(HTMLParser):
    """The words a reader sees: text, titles, placeholders and labels; not scripts, styles or values."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0
        self._marked: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("title", "placeholder", "aria-label", "data-label", "alt") and value:
                self.parts.append(value)
        if dict(attrs).get("lang") == "vi" and tag not in ("html",):
            self._skip += 1  # marked as Vietnamese on purpose: the switch back to Tiếng Việt
            self._marked.append(tag)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1
        if self._marked and self._marked[-1] == tag:
            self._marked.pop()
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def _data_words(app) -> list[str]:
    """The plan's own words and people's names: data, shown as written in either language."""
    with app.app_context():
        queries = ["SELECT code FROM task", "SELECT title FROM task", "SELECT lead_text FROM task",
                   "SELECT executing_text FROM task", "SELECT coordinating_text FROM task",
                   "SELECT timeline FROM task", "SELECT flag_note FROM task", "SELECT name FROM agency",
                   "SELECT alias FROM agency_alias", "SELECT title FROM section", "SELECT title FROM plan",
                   "SELECT issuer FROM plan", "SELECT number FROM plan", "SELECT name FROM \"user\"",
                   "SELECT title FROM reporting_round", "SELECT note FROM reporting_round",
                   "SELECT recipient FROM reporting_policy", "SELECT note FROM status_line", "SELECT note FROM plan",
                   "SELECT name FROM indicator", "SELECT text FROM indicator",
                   "SELECT name FROM commune", "SELECT note FROM commune_criterion"]
        words = {w for q in queries for w in db.session.scalars(sa.text(q)) if w} | {"Lạng Sơn"}  # a place's name
        # A criterion's own name, shown without its number ("Quy hoạch" of "Tiêu chí số 1: Quy hoạch").
        words |= {name.split(": ", 1)[-1] for name in db.session.scalars(sa.text("SELECT name FROM indicator"))}
        # A round's recipient, a name the page wraps in its own words ("Gửi …." / "To be sent to ….").
        words |= {note[4:-1] for note in db.session.scalars(sa.text("SELECT note FROM reporting_round"))
                  if note and note.startswith("Gửi ")}
        db.session.remove()
    return sorted(words, key=len, reverse=True)


def _leftovers(html: str, data: list[str]) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    text = "\n".join(parser.parts)
    for word in data:
        text = text.replace(word, " ")
    # Vietnamese words without a diacritic that the interface uses ("Xem", "Trang sau", "TT").
    left = {chunk.strip() for chunk in re.split(r"[\n·|]", text)
            if VIETNAMESE.search(chunk) or re.search(r"\b(Xem|Trang|TT)\b", chunk)}
    # A chart's label is a data name cut to fit ("II. Công tác lập kế hoạch và …"), or a wrapped line of one.
    whole = "\n".join(data)

    def cut_from_data(chunk: str) -> bool:
        pieces = re.split(r"\s{2,}", re.sub(r"^[IVXL]+\.\s*", "", chunk).rstrip("… ").strip())
        return all(piece in whole for piece in pieces)
    return sorted(chunk for chunk in left if not cut_from_data(chunk))


MAIN_PAGES = ["/", "/?category=overdue&sort=overdue", "/dashboard?as_of=2021-06-24", "/tasks/II.1?as_of=2021-06-24",
              "/agencies", "/rounds", "/reminders", "/profile", "/users", "/outbox", "/reminders/settings",
              "/reminders/preferences", "/rounds/policy", "/rounds/new", "/no-such-page",
              "/indicators?year=2021&quarter=2", "/indicators/districts?year=2021&quarter=2",
              "/indicators/communes?year=2021&quarter=2&close=1", "/reminders?as_of=2021-03-30"]


def _pages_of_records(app, agency_id: int) -> list[str]:
    """The main pages of one record each: an agency, an indicator, a commune, a round."""
    with app.app_context():
        indicator = db.session.scalar(sa.text("SELECT id FROM indicator WHERE key = 'tc02.1'"))
        commune = db.session.scalar(sa.text("SELECT min(id) FROM commune"))
        round_ = db.session.scalar(sa.text("SELECT min(id) FROM reporting_round"))
        db.session.remove()
    return [f"/agencies/{agency_id}", f"/indicators/{indicator}?year=2021", f"/indicators/communes/{commune}",
            f"/rounds/{round_}"]


@pytest.fixture
def office_in_english(seeded, client, auth):
    auth.login("vpdp@test.vn")
    response = client.post("/language", data={"language": "en", "next": "/dashboard"})
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    return client


def test_the_english_interface_has_no_vietnamese_of_its_own(seeded, office_in_english):
    data = _data_words(seeded)
    agency_id = _agency_id(seeded, "Sở Kế hoạch và Đầu tư")
    for page in MAIN_PAGES + _pages_of_records(seeded, agency_id):
        response = office_in_english.get(page)
        assert response.status_code in (200, 404), page
        html = response.get_data(as_text=True)
        assert '<html lang="en">' in html, page
        assert _leftovers(html, data) == [], page


def test_an_officer_sees_english_on_their_own_pages(seeded, client, auth):
    from helpers import line_id, post_line

    auth.login("khdt@test.vn")
    client.post("/language", data={"language": "en"})
    lid = line_id(seeded, "II.1", "Sở Kế hoạch và Đầu tư")
    assert post_line(client, "II.1", lid, status="paused", progress="40", paused_reason="Chờ vốn").status_code == 302
    client.post("/tasks/II.1/comments", data={"body": "Đã gửi Sở Tài chính"})
    page = client.get("/tasks/II.1").get_data(as_text=True)
    assert "Not started → Paused" in page and "0% → 40%" in page  # the history, in English
    data = _data_words(seeded) + ["Chờ vốn", "Đã gửi Sở Tài chính"]
    for page in ("/my", "/tasks/II.1", "/"):
        assert _leftovers(client.get(page).get_data(as_text=True), data) == [], page


def test_the_vietnamese_interface_has_no_english_of_ours(seeded, client, auth):
    """Each English sentence of the catalogue (two words or more, not the same as its Vietnamese) is absent."""
    auth.login("vpdp@test.vn")
    sentences = {t for m, t in english().items() if t != m and len(t.split()) >= 2 and "%(" not in t}
    agency_id = _agency_id(seeded, "Sở Kế hoạch và Đầu tư")
    for page in MAIN_PAGES + _pages_of_records(seeded, agency_id):
        html = client.get(page).get_data(as_text=True)
        assert '<html lang="vi">' in html
        assert [s for s in sentences if s in html] == [], page


def test_the_choice_is_kept_with_the_account(seeded, client, auth, office_in_english):
    with seeded.app_context():
        assert db.session.scalar(sa.select(User.language).where(User.email == "vpdp@test.vn")) == "en"
    auth.logout()
    elsewhere = seeded.test_client()  # another browser: Vietnamese until its user signs in
    assert '<html lang="vi">' in elsewhere.get("/login").get_data(as_text=True)
    elsewhere.post("/login", data={"email": "vpdp@test.vn", "password": "mat-khau-thu-nghiem"})
    assert "Overview of the 2021 plan" in elsewhere.get("/dashboard").get_data(as_text=True)


def test_the_sign_in_page_can_be_read_in_english_before_signing_in(client, seeded):
    client.post("/language", data={"language": "en", "next": "/login"})
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in" in page and "Forgot your password?" in page and "Tiếng Việt" in page


def test_an_unknown_language_is_refused_and_changes_nothing(client, seeded):
    response = client.post("/language", data={"language": "fr"})
    assert response.status_code == 400
    assert '<html lang="vi">' in client.get("/login").get_data(as_text=True)


def test_messages_and_dates_in_each_language(seeded, client, auth):
    from helpers import line_id, post_line

    auth.login("khdt@test.vn")
    lid = line_id(seeded, "II.1", "Sở Kế hoạch và Đầu tư")
    page = post_line(client, "II.1", lid, progress="²").get_data(as_text=True)
    assert "Không phải số nguyên." in page  # WTForms' own message, in Vietnamese
    client.post("/language", data={"language": "en"})
    page = post_line(client, "II.1", lid, progress="²").get_data(as_text=True)
    assert "Not a valid integer value." in page
    page = post_line(client, "II.1", lid, status="paused", progress="10").get_data(as_text=True)
    assert "Pausing needs a reason." in page
    assert "31/03/2021" in client.get("/tasks/II.1").get_data(as_text=True)  # dd/mm/yyyy in English too
    response = post_line(client, "II.1", lid, status="in_progress", progress="30",
                         attachments=(io.BytesIO(b"MZ"), "virus.exe"))
    assert "«virus.exe»: only PDF, DOCX, XLSX, PNG and JPG are accepted." in response.get_data(as_text=True)


def test_reminders_are_mailed_in_each_recipients_language(seeded, mail_server):
    from test_reminders import configure, sweep_and_send

    configure(seeded)
    with seeded.app_context():
        db.session.execute(sa.update(User).where(User.email == "khdt@test.vn").values(language="en"))
        db.session.commit()
    sweep_and_send(seeded, date(2021, 3, 24))
    by_recipient = {m["to"][0]: m for m in mail_server.messages}
    english_mail, vietnamese_mail = by_recipient["khdt@test.vn"], by_recipient["taichinh@test.vn"]
    assert english_mail["subject"] == "[NTM Lạng Sơn] Reminders for 24/03/2021: due soon: 1, overdue: 1"
    assert english_mail["text"].startswith("Dear ") and "due 31/03/2021 (days left: 7)" in english_mail["text"]
    assert "This message was sent automatically; please do not reply." in english_mail["text"]
    assert vietnamese_mail["subject"].startswith("[NTM Lạng Sơn] Nhắc việc ngày 24/03/2021: 1 việc sắp đến hạn")
    assert vietnamese_mail["text"].startswith("Kính gửi ") and "hạn 31/03/2021 (còn 7 ngày)" in vietnamese_mail["text"]


def _agency_id(app, name: str) -> int:
    from tracker.plan.models import Agency

    with app.app_context():
        found = db.session.scalar(sa.select(Agency.id).where(Agency.name == name))
        db.session.remove()
    return found


def test_the_browsers_language_holds_until_the_person_picks_one(seeded, client, auth):
    english = {"Accept-Language": "en-GB,en;q=0.9,vi;q=0.5"}
    assert '<html lang="en">' in client.get("/login", headers=english).get_data(as_text=True)
    assert '<html lang="vi">' in client.get("/login", headers={"Accept-Language": "fr, de"}).get_data(as_text=True)
    assert '<html lang="vi">' in client.get("/login", headers={"Accept-Language": "vi-VN, en;q=0.8"}).get_data(as_text=True)
    auth.login("khdt@test.vn")  # an account that never chose: its browser decides
    assert "My work" in client.get("/my", headers=english).get_data(as_text=True)
    client.post("/language", data={"language": "vi"}, headers=english)  # a choice outlasts the browser's wish
    assert '<html lang="vi">' in client.get("/my", headers=english).get_data(as_text=True)
    with seeded.app_context():
        db.session.execute(sa.update(User).where(User.email == "khdt@test.vn").values(language="en"))
        db.session.commit()
    elsewhere = seeded.test_client()  # an account that chose English, in a Vietnamese browser
    elsewhere.post("/login", data={"email": "khdt@test.vn", "password": "mat-khau-thu-nghiem"})
    assert '<html lang="en">' in elsewhere.get("/my", headers={"Accept-Language": "vi"}).get_data(as_text=True)


def test_reminder_kinds_and_a_rounds_recipient_read_in_english(seeded, office_in_english):
    page = office_in_english.get("/reminders?as_of=2021-03-30").get_data(as_text=True)
    assert "<td>Reminder to update progress</td>" in page and "<td>Task due soon</td>" in page
    assert ": no update since 01/01/2021" in page  # each reminder's words in the reader's language
    for kind in ("Nhắc cập nhật tiến độ", "Báo cáo quá hạn", "Sắp đến hạn công việc"):
        assert f"<td>{kind}</td>" not in page, kind
    with seeded.app_context():
        round_id = db.session.scalar(sa.text("SELECT min(id) FROM reporting_round WHERE note LIKE 'Gửi %'"))
        db.session.remove()
    page = office_in_english.get(f"/rounds/{round_id}").get_data(as_text=True)
    assert "To be sent to " in page and "Gửi " not in page


def test_a_choice_of_vietnamese_follows_the_person_to_another_browser(seeded, client, auth):
    english = {"Accept-Language": "en-US,en;q=0.9"}
    auth.login("khdt@test.vn")
    client.post("/language", data={"language": "vi"}, headers=english)
    with seeded.app_context():
        assert db.session.scalar(sa.select(User.language).where(User.email == "khdt@test.vn")) == "vi"
    elsewhere = seeded.test_client()  # a new device with an English browser
    elsewhere.post("/login", data={"email": "khdt@test.vn", "password": "mat-khau-thu-nghiem"}, headers=english)
    assert '<html lang="vi">' in elsewhere.get("/my", headers=english).get_data(as_text=True)


def test_a_new_account_has_no_language_until_its_owner_chooses(seeded):
    with seeded.app_context():
        assert db.session.scalar(sa.select(User.language).where(User.email == "dinhlap@test.vn")) is None
