"""Rendering at the speed of the data: links built from a route resolved once a page, the same to the byte as
url_for's, and the web worker's frozen start-up objects. Counts of work, never timings (those are the benchmark's)."""
from __future__ import annotations

import gc
import importlib
import re
from datetime import date

import pytest
from flask import g, url_for
from werkzeug.routing.map import MapAdapter

from helpers import user_of
from tracker.extensions import db
from tracker.indicators import counts, services
from tracker.indicators.models import Commune
from tracker.plan.views import url_maker


@pytest.mark.parametrize("year", [None, "2021"])
def test_url_maker_gives_url_fors_links_to_the_byte(app, year):
    values = [("I", "overdue"), ("12", "done_late"), ("a b&c/đ?", "x+y=z"), (7, True), ("", "1")]
    with app.test_request_context("/dashboard" + (f"?year={year}" if year else "")):
        g.plan_year = int(year) if year else None  # what remember_year() sets before a page
        section_cell = url_maker("progress.index", "section", "category", as_of="2021-04-15")
        trend = url_maker("progress.index", "category", "as_of")
        detail = url_maker("indicators.indicator_detail", "indicator_id", year=2021, quarter=2)
        for section, category in values:
            assert section_cell(section, category) == url_for("progress.index", as_of="2021-04-15", section=section,
                                                              category=category)
            assert trend(category, section) == url_for("progress.index", category=category, as_of=section)
        for indicator_id in (1, 42, 2_000_000):
            assert detail(indicator_id) == url_for("indicators.indicator_detail", indicator_id=indicator_id,
                                                   year=2021, quarter=2)


def count_builds(monkeypatch) -> dict[str, int]:
    """The URLs the app builds, by endpoint (url_for in code and templates alike ends in MapAdapter.build)."""
    built: dict[str, int] = {}
    build = MapAdapter.build

    def counted(self, endpoint, *args, **kwargs):
        built[endpoint] = built.get(endpoint, 0) + 1
        return build(self, endpoint, *args, **kwargs)
    monkeypatch.setattr(MapAdapter, "build", counted)
    return built


def test_the_dashboard_resolves_a_route_once_a_page_not_once_a_link(reader, monkeypatch):
    reader.get("/dashboard?as_of=2021-04-15")
    built = count_builds(monkeypatch)
    page = reader.get("/dashboard?as_of=2021-04-15").get_data(as_text=True)
    # Each count of the matrices and the trend links to the plan page: as many builds as links once (181 for
    # this plan's 119), now a fixed few whatever the plan's size.
    assert page.count('<a href="/?') > 100
    assert built["progress.index"] <= 20, built


def test_the_indicator_page_resolves_its_rows_links_once_a_table(reader, monkeypatch):
    reader.get("/indicators?year=2021&quarter=2")
    built = count_builds(monkeypatch)
    page = reader.get("/indicators?year=2021&quarter=2").get_data(as_text=True)
    assert page.count('<a href="/indicators/') > 60
    assert built["indicators.indicator_detail"] <= 4, built  # one per table
    assert built.get("indicators.commune_detail", 0) <= 1, built


def test_the_indicator_pages_kept_counts_follow_a_change_of_a_communes_criteria(seeded, reader):
    def closest() -> list[str]:
        page = reader.get("/indicators?year=2021&quarter=1").get_data(as_text=True)
        return re.findall(r'<li><a href="/indicators/communes/(\d+)">', page[page.index('id="h-closest"'):])
    before = closest()
    assert before, "the sample has communes close to the standard"
    with seeded.app_context():
        commune = db.session.get(Commune, int(before[0]))
        services.set_criteria(commune, date(2021, 3, 1), set(counts.CRITERIA), "", user_of("vpdp@test.vn"),
                              date(2021, 3, 31))
        db.session.commit()
    after = closest()
    assert before[0] not in after  # counted afresh: it meets all 19 from March on


def test_the_agency_pages_sheets_are_kept_until_somebody_writes(seeded, reader):
    """A district's sheets count its lines in three roles; they are counted once per version of the data, and a
    line brought to done shows on the very next view."""
    from sqlalchemy import event

    from helpers import line_of
    from tracker.plan.models import Agency

    with seeded.app_context():
        dinhlap = db.session.scalar(db.select(Agency.id).where(Agency.name == "UBND huyện Đình Lập"))
    path = f"/agencies/{dinhlap}?as_of=2021-07-15"

    def executing_counts() -> dict[str, int]:
        page = reader.get(path).get_data(as_text=True)
        sheet = page[page.index('class="role-sheet"'):]
        sheet = sheet[:sheet.index("</section>")]
        return {name: int(count) for name, count in re.findall(r'class="cat cat-(\w+)">[^<:]+: (\d+)</span>', sheet)}

    def statements_of_a_view() -> int:
        sent = []
        with seeded.app_context():
            listener = lambda *args: sent.append(args[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                reader.get(path)
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
        return sum("GROUP BY" in statement for statement in sent)

    before = executing_counts()
    assert statements_of_a_view() == 0  # the same version of the data: nothing counted again
    with seeded.app_context():
        line = line_of("VIII.3", "UBND huyện Đình Lập")
        assert line.status != "done"
        line.status, line.progress, line.completed_on = "done", 100, date(2021, 6, 20)
        db.session.commit()
    after = executing_counts()
    assert after.get("done_on_time", 0) == before.get("done_on_time", 0) + 1
    assert sum(after.values()) == sum(before.values())


def test_the_web_worker_freezes_what_the_loaded_app_holds():
    conf = importlib.import_module("tracker.gunicorn_conf")
    assert gc.get_freeze_count() == 0, "nothing in the app or the tests freezes objects"
    try:
        conf.post_worker_init(worker=None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_a_web_worker_loads_heavy_libraries_only_when_asked(tmp_path):
    """A worker serving pages and health checks loads no library for what it is not doing: numpy, Pillow and
    python-docx (reading a scan, writing a report: some 20 MiB), Authlib with requests and joserfc (sign-in through
    an identity service not configured: some 16 MiB), ldap3 (no directory), Alembic and Mako (migrations: 11 MiB),
    icalendar, holidays and segno (calendars, reminders, two-factor set-up: some 6 MiB)."""
    import subprocess
    import sys

    heavy = ("numpy", "PIL", "docx", "authlib", "requests", "joserfc", "ldap3", "alembic", "mako", "icalendar",
             "holidays", "segno")
    script = ("import sys; from tracker import create_app; "
              f"app = create_app({{'DATABASE_URL': 'sqlite:///{tmp_path}/w.sqlite', 'SECRET_KEY': 'x' * 40}}); "
              "client = app.test_client(); "
              "assert client.get('/healthz').status_code in (200, 503); "
              "assert client.get('/login').status_code == 200; "
              f"print(sorted(m for m in {heavy!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
