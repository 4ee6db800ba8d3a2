"""The seeded 2021 plan: every work item, its bodies and timeline; seeding twice changes nothing."""
import sqlalchemy as sa

from tracker.extensions import db
from tracker.plan.models import Agency, AgencyAlias, Assignment, Plan, Section, Task
from tracker.plan.services import find_agency

SECTION_COUNTS = {"I": 1, "II": 3, "III": 1, "IV": 6, "V": 1, "VI": 1, "VII": 3, "VIII": 3, "IX": 3, "X": 2,
                  "XI": 2, "XII": 1}


def _task(code):
    return db.session.scalar(sa.select(Task).where(Task.code == code))


def test_all_27_items_in_12_sections(seeded):
    with seeded.app_context():
        sections = db.session.scalars(sa.select(Section).order_by(Section.position)).all()
        assert [s.numeral for s in sections] == list(SECTION_COUNTS)
        assert {s.numeral: len(s.tasks) for s in sections} == SECTION_COUNTS
        assert db.session.scalar(sa.select(sa.func.count(Task.id))) == 27
        for task in db.session.scalars(sa.select(Task)):
            assert task.title and task.timeline is not None
            assert task.agencies("executing"), f"{task.code} has no executing body"


def test_item_cells_and_parsed_values(seeded):
    with seeded.app_context():
        task = _task("II.1")
        assert task.title == "Phân bổ kế hoạch vốn thực hiện Chương trình năm 2021"
        assert task.executing_text == "Sở KH&ĐT, TC và VPĐP"
        assert [a.name for a in task.agencies("executing")] == [
            "Sở Kế hoạch và Đầu tư", "Sở Tài chính", "Văn phòng Điều phối Chương trình xây dựng NTM tỉnh"]
        assert [a.name for a in task.agencies("lead")] == [
            "Ủy ban nhân dân tỉnh Lạng Sơn", "Ban Chỉ đạo các Chương trình MTQG tỉnh"]
        assert [a.name for a in task.agencies("coordinating")] == ["BCĐ cấp huyện, xã"]
        assert (task.timeline, task.schedule_kind, str(task.due_on)) == ("Quý I", "quarter", "2021-03-31")

        training = _task("IV.4")
        assert (training.timeline, str(training.start_on), str(training.due_on)) == (
            "Tháng 3-10", "2021-03-01", "2021-10-31")
        assert _task("XI.1").recurrence == "quarterly"
        assert _task("XII.1").schedule_kind == "periodic"


def test_group_expands_to_the_eleven_districts(seeded):
    with seeded.app_context():
        bodies = _task("IX.2").bodies("executing")
        assert len(bodies) == 11
        assert "UBND huyện Đình Lập" in {b.name for b in bodies}
        assert {b.level for b in bodies} == {"district"}


def test_illegible_and_per_plan_items_are_flagged_not_invented(seeded):
    with seeded.app_context():
        flagged = {t.code for t in db.session.scalars(sa.select(Task).where(Task.needs_date))}
        assert flagged == {"II.2", "II.3", "IV.2", "XI.2", "VIII.1", "VIII.2"}
        for code in flagged:
            task = _task(code)
            assert task.due_on is None and task.start_on is None
        assert _task("II.2").timeline.startswith("Than")  # the OCR text is kept as written
        assert "không đọc được" in _task("II.2").flag_note


def test_abbreviations_are_one_agency(seeded):
    with seeded.app_context():
        names = {find_agency(n).name for n in ["Sở KH&ĐT", "KH&ĐT", "Sở Kế hoạch và Đầu tư", "so kh & dt"]}
        assert names == {"Sở Kế hoạch và Đầu tư"}
        assert find_agency("VPĐP tỉnh").name == find_agency("Văn phòng Điều phối").name
        districts = db.session.scalars(sa.select(Agency).where(Agency.level == "district")).all()
        assert len(districts) == 11


def _counts():
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(m))
                 for m in (Plan, Section, Task, Agency, AgencyAlias, Assignment))


def test_seed_twice_gives_the_same_rows(seeded, runner):
    with seeded.app_context():
        before = _counts()
        ids = db.session.execute(sa.select(Task.id, Task.code, Task.due_on).order_by(Task.id)).all()
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert "0 mới, 0 cập nhật, 27 không đổi" in result.output
    with seeded.app_context():
        assert _counts() == before
        assert db.session.execute(sa.select(Task.id, Task.code, Task.due_on).order_by(Task.id)).all() == ids


def test_seed_as_this_years_plan(seeded, runner):
    result = runner.invoke(args=["seed", "--year", "2026"])
    assert result.exit_code == 0, result.output
    with seeded.app_context():
        plan = db.session.scalar(sa.select(Plan).where(Plan.year == 2026))
        assert "năm 2026" in plan.title
        task = db.session.scalar(sa.select(Task).where(Task.plan_id == plan.id, Task.code == "II.1"))
        assert str(task.due_on) == "2026-03-31"
        assert db.session.scalar(sa.select(sa.func.count(Plan.id))) == 2
