"""Accessibility, checked by axe-core (vendored in tests/vendor/axe-core, injected by the test only) in
Debian's headless Chromium: every main page, as the office and as an officer, in Vietnamese and in
English, with no WCAG 2 A/AA violation."""
from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from browsing import browser, live_server, page_language, sign_in, switch_language  # noqa: F401 (fixtures)
from tracker.extensions import db

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AS_OF = "2021-04-15"
RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa"]}, resultTypes: ["violations"]})
  .then(result => done(result.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 4).map(n => n.target.join(" ") + ": " + (n.failureSummary || "").replace(/\\s+/g, " "))}))))
  .catch(error => done([{id: "axe-error", impact: "", help: String(error), nodes: []}]));
"""


def pages(app, office: bool) -> list[str]:
    """The main pages a person of this kind can open, with a record of each kind from the seeded plan."""
    with app.app_context():
        one = {name: db.session.scalar(sa.text(query)) for name, query in {
            "agency": "SELECT id FROM agency WHERE name = 'Sở Kế hoạch và Đầu tư'",
            "indicator": "SELECT id FROM indicator WHERE key = 'tc02.1'",
            "commune": "SELECT min(id) FROM commune", "round": "SELECT min(id) FROM reporting_round",
            "user": "SELECT id FROM \"user\" WHERE email = 'khdt@test.vn'"}.items()}
        db.session.remove()
    common = [f"/?as_of={AS_OF}", f"/tasks/II.1?as_of={AS_OF}", f"/agencies/{one['agency']}", "/agencies",
              f"/dashboard?as_of={AS_OF}", "/rounds", f"/rounds/{one['round']}", "/indicators?year=2021&quarter=1",
              "/indicators/districts?year=2021&quarter=1", "/indicators/communes?year=2021&quarter=1",
              f"/indicators/communes/{one['commune']}", f"/indicators/{one['indicator']}?year=2021",
              f"/reminders?as_of={AS_OF}", "/profile", "/profile/reminders"]
    if office:
        return common + ["/outbox", "/admin/users", f"/admin/users/{one['user']}", "/reminders/settings",
                         "/rounds/new", "/rounds/policy", "/reports/letterhead"]
    return common + [f"/my?as_of={AS_OF}"]


def violations(driver) -> list[str]:
    """axe-core's WCAG 2 A and AA violations on the page now shown, one readable line each."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    found = driver.execute_async_script(RUN_AXE)
    return [f"{v['id']} ({v['impact']}): {v['help']}\n      " + "\n      ".join(v["nodes"]) for v in found]


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("email", ["vpdp@test.vn", "khdt@test.vn"])
def test_every_main_page_passes_axe(seeded, live_server, browser, email, language):
    browser.set_script_timeout(60)
    browser.delete_all_cookies()
    browser.get(live_server + "/login")
    switch_language(browser, language)
    report = {"/login": violations(browser)}
    sign_in(browser, live_server, email)
    switch_language(browser, language)
    for page in pages(seeded, office=email == "vpdp@test.vn"):
        browser.get(live_server + page)
        assert page_language(browser) == language, page
        report[page] = violations(browser)
    failing = {page: found for page, found in report.items() if found}
    assert not failing, "axe-core found:\n" + "\n".join(
        f"  {page}\n    " + "\n    ".join(found) for page, found in failing.items())


def test_axe_reports_what_it_finds(seeded, live_server, browser):
    """The check itself: a picture without a text alternative and an unlabelled field are reported."""
    browser.get(live_server + "/login")
    browser.execute_script("document.querySelector('main').insertAdjacentHTML('beforeend', "
                           "'<img src=\"/static/none.png\"><input type=\"text\" name=\"x\">')")
    found = "\n".join(violations(browser))
    assert "image-alt" in found and "label" in found
