"""Data a person or an import sets is shown as text, never as markup: the section filter's choices were rendered
unescaped because they went through lazy_gettext, whose LazyString declares itself safe HTML."""
from __future__ import annotations

from tracker.extensions import db
from tracker.plan.models import Section

PAYLOAD = '<script>alert("xss")</script>'


def test_a_section_title_with_markup_is_escaped_in_the_plan_page_filter(seeded, reader):
    with seeded.app_context():
        section = db.session.scalars(db.select(Section).order_by(Section.id)).first()
        section.title = PAYLOAD
        year = section.plan.year
        db.session.commit()
    for query in (f"/?year={year}", f"/?year={year}&q=abc"):
        page = reader.get(query).get_data(as_text=True)
        assert PAYLOAD not in page, query
        assert "&lt;script&gt;alert(" in page, query
