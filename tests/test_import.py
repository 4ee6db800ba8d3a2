"""Importing a new appendix from CSV or XLSX: all rows or none, each bad row reported."""
import csv
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from tracker.extensions import db
from tracker.plan.models import Agency, AgencyAlias, Plan, Task

HEADER = ["TT", "Nội dung công việc", "Chỉ đạo", "Cơ quan thực hiện", "Cơ quan phối hợp", "Thời gian"]
GOOD_ROWS = [
    ["I", "Kiện toàn bộ máy", "", "", "", ""],
    ["1", "Kiện toàn Ban Chỉ đạo các cấp", "BCĐ tỉnh", "Sở Nội vụ", "UBND các huyện", "Quý I"],
    ["2", "Rà soát thành viên BQL xã", "BCĐ tỉnh", "UBND các huyện, thành phố", "Sở Nội vụ", "Quý I, II"],
    ["II", "Kế hoạch vốn", "", "", "", ""],
    ["1", "Phân bổ vốn năm 2027", "UBND tỉnh", "Sở Kế hoạch và Đầu tư", "Sở Tài chính, VPĐP tỉnh", "Tháng 3-5"],
]


def write_csv(path: Path, rows, header=HEADER) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    return path


def write_xlsx(path: Path, rows, header=HEADER) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["PHỤ LỤC: Nội dung công việc, tiến độ thời gian, trách nhiệm thực hiện"])  # a title row above
    sheet.append(header)
    for row in rows:
        sheet.append([int(c) if c.isdigit() else c for c in row])
    workbook.save(path)
    return path


def _snapshot():
    return (db.session.scalar(sa.select(sa.func.count(Plan.id))), db.session.scalar(sa.select(sa.func.count(Task.id))),
            db.session.scalar(sa.select(sa.func.count(Agency.id))))


@pytest.mark.parametrize("writer", [write_csv, write_xlsx], ids=["csv", "xlsx"])
def test_good_file_imports(seeded, runner, tmp_path, writer):
    path = writer(tmp_path / ("plan." + ("csv" if writer is write_csv else "xlsx")), GOOD_ROWS)
    result = runner.invoke(args=["import-appendix", str(path), "--year", "2027", "--title", "Kế hoạch năm 2027"])
    assert result.exit_code == 0, result.output
    assert "2 mục, 3 công việc (3 mới" in result.output
    with seeded.app_context():
        plan = db.session.scalar(sa.select(Plan).where(Plan.year == 2027))
        assert plan.title == "Kế hoạch năm 2027"
        tasks = {t.code: t for t in db.session.scalars(sa.select(Task).where(Task.plan_id == plan.id))}
        assert sorted(tasks) == ["I.1", "I.2", "II.1"]
        assert str(tasks["I.2"].due_on) == "2027-06-30"
        assert [a.name for a in tasks["II.1"].agencies("coordinating")] == [
            "Sở Tài chính", "Văn phòng Điều phối Chương trình xây dựng NTM tỉnh"]
        assert len(tasks["I.2"].bodies("executing")) == 11


def test_semicolon_csv_with_bom_imports(seeded, runner, tmp_path):
    path = tmp_path / "excel.csv"
    text = "\n".join(";".join(r) for r in [HEADER, *GOOD_ROWS])
    path.write_text(text, encoding="utf-8-sig")
    result = runner.invoke(args=["import-appendix", str(path), "--year", "2027"])
    assert result.exit_code == 0, result.output


def test_bad_rows_are_each_reported_and_nothing_changes(seeded, runner, tmp_path):
    rows = [
        ["1", "Công việc trước mục đầu tiên", "BCĐ tỉnh", "Sở Nội vụ", "", "Quý I"],
        ["I", "Mục một", "", "", "", ""],
        ["1", "", "BCĐ tỉnh", "Sở Nội vụ", "", "Quý I"],
        ["2", "Không có cơ quan thực hiện", "BCĐ tỉnh", "", "", "Quý I"],
        ["2", "Trùng số thứ tự", "BCĐ tỉnh", "Sở Nội vụ", "", "Quý I"],
        ["a", "Số thứ tự lạ", "BCĐ tỉnh", "Sở Nội vụ", "", "Quý I"],
        ["3", "Việc hợp lệ", "BCĐ tỉnh", "Sở Nội vụ", "", "Quý I"],
    ]
    path = write_csv(tmp_path / "bad.csv", rows)
    with seeded.app_context():
        before = _snapshot()
    result = runner.invoke(args=["import-appendix", str(path), "--year", "2027"])
    assert result.exit_code == 1
    report = result.output
    assert "Dòng 2, cột «TT»: công việc nằm trước mục La Mã đầu tiên." in report
    assert "Dòng 4, cột «Nội dung công việc»: trống." in report
    assert "Dòng 5, cột «Cơ quan thực hiện»: trống" in report
    assert "Dòng 6, cột «TT»: công việc I.2 xuất hiện hai lần." in report
    assert "Dòng 7, cột «TT»: «a» không phải số La Mã" in report
    assert "không thay đổi gì" in report
    with seeded.app_context():
        assert _snapshot() == before
        assert db.session.scalar(sa.select(Plan).where(Plan.year == 2027)) is None


def test_unknown_agencies_are_listed_not_created(seeded, runner, tmp_path):
    rows = [
        ["I", "Mục một", "", "", "", ""],
        ["1", "Việc một", "BCĐ tỉnh", "Sở Kế hoạch Đầu tư", "Hội Nông dân tỉnh", "Quý I"],
        ["2", "Việc hai", "BCĐ tỉnh", "Sở Nội vụ", "Hội Nông dân tỉnh", "Quý II"],
    ]
    path = write_csv(tmp_path / "unknown.csv", rows)
    with seeded.app_context():
        before = _snapshot()
    result = runner.invoke(args=["import-appendix", str(path), "--year", "2027"])
    assert result.exit_code == 1
    assert "«Hội Nông dân tỉnh» (dòng 3, 4)" in result.output
    assert "«Sở Kế hoạch Đầu tư» (dòng 3)" in result.output
    assert "Có phải «Sở Kế hoạch và Đầu tư»?" in result.output
    with seeded.app_context():
        assert _snapshot() == before

    # The coordination office maps the name; the same file then imports.
    mapped = runner.invoke(args=["agency", "add-alias", "Sở Kế hoạch Đầu tư", "Sở KH&ĐT"])
    assert mapped.exit_code == 0, mapped.output
    rows[1][4] = rows[2][4] = "Các đơn vị có liên quan"
    result = runner.invoke(args=["import-appendix", str(write_csv(path, rows)), "--year", "2027"])
    assert result.exit_code == 0, result.output
    with seeded.app_context():
        task = db.session.scalar(sa.select(Task).join(Task.plan).where(Plan.year == 2027, Task.code == "I.1"))
        assert [a.name for a in task.agencies("executing")] == ["Sở Kế hoạch và Đầu tư"]


def test_alias_of_another_agency_is_refused(seeded, runner):
    result = runner.invoke(args=["agency", "add-alias", "TC", "Sở Nội vụ"])
    assert result.exit_code != 0
    assert "đã là tên gọi khác của «Sở Tài chính»" in result.output
    with seeded.app_context():
        alias = db.session.scalar(sa.select(AgencyAlias).where(AgencyAlias.alias == "TC"))
        assert alias.agency.name == "Sở Tài chính"


def test_reimport_corrected_file_updates_in_place(seeded, runner, tmp_path):
    path = write_csv(tmp_path / "plan.csv", GOOD_ROWS)
    assert runner.invoke(args=["import-appendix", str(path), "--year", "2027"]).exit_code == 0
    with seeded.app_context():
        first_id = db.session.scalar(sa.select(Task.id).join(Task.plan).where(Plan.year == 2027, Task.code == "I.1"))
    corrected = [list(r) for r in GOOD_ROWS]
    corrected[1][5] = "Quý II"
    result = runner.invoke(args=["import-appendix", str(write_csv(path, corrected)), "--year", "2027"])
    assert "1 cập nhật, 2 không đổi" in result.output
    with seeded.app_context():
        task = db.session.get(Task, first_id)
        assert (task.code, str(task.due_on)) == ("I.1", "2027-06-30")


@pytest.mark.parametrize(("name", "content", "message"), [
    ("plan.txt", b"TT,x", "Chỉ nhận tệp .csv hoặc .xlsx."),
    ("plan.xlsx", b"not a zip", "Không đọc được tệp XLSX"),
    ("plan.csv", "TT,Nội dung".encode("utf-16"), "UTF-8"),
    ("plan.csv", "Cột A,Cột B\n1,2\n".encode(), "Không tìm thấy dòng tiêu đề"),
])
def test_unreadable_files_get_a_clear_message(seeded, runner, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    result = runner.invoke(args=["import-appendix", str(path), "--year", "2027"])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def _rewrite_sheet(path: Path, change) -> Path:
    """Rewrite the first sheet's XML inside an XLSX, as a hand-edited or hostile file would be."""
    import zipfile

    out = path.with_name("edited-" + path.name)
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = change(data)
            target.writestr(item, data)
    return out


def test_every_row_is_read_whatever_the_stored_dimension_says(tmp_path):
    from tracker.plan.appendix import read_rows

    path = write_xlsx(tmp_path / "plan.xlsx", GOOD_ROWS)
    import re as _re

    lying = _rewrite_sheet(path, lambda xml: _re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:F3"', xml))
    assert b'ref="A1:F3"' in __import__("zipfile").ZipFile(lying).read("xl/worksheets/sheet1.xml")
    assert len(read_rows(lying)) == len(GOOD_ROWS) + 2  # title, header and every item


@pytest.mark.parametrize("make, message", [
    (lambda p: _rewrite_sheet(write_xlsx(p / "a.xlsx", GOOD_ROWS),
                              lambda xml: xml.replace(b"<worksheet", b'<!DOCTYPE x [<!ENTITY a "aaaa">]><worksheet', 1)),
     "DTD"),
    (lambda p: write_csv(p / "big-field.csv", [["1", "x" * 200_000, "", "", "", ""]]), "hỏng ở dòng"),
    (lambda p: write_csv(p / "nul.csv", [["1", "Việc\x00 có NUL", "BCĐ tỉnh", "Sở Nội vụ", "", "Quý I"]]),
     "ký tự điều khiển"),
    (lambda p: write_csv(p / "long.csv", [["1", f"Việc {i}", "BCĐ tỉnh", "Sở Nội vụ", "", "Quý I"] for i in range(6000)]),
     "hơn 5000 dòng"),
    (lambda p: (p / "huge.csv").write_bytes(b"TT,x\n" + b"a" * (6 * 1024 * 1024)) and p / "huge.csv", "lớn hơn 5 MB"),
])
def test_a_bad_file_gets_a_message_and_changes_nothing(seeded, runner, tmp_path, make, message):
    path = make(tmp_path)
    with seeded.app_context():
        before = _snapshot()
    result = runner.invoke(args=["import-appendix", str(path), "--year", "2027"])
    assert result.exit_code != 0 and message in result.output
    assert "Traceback" not in result.output
    with seeded.app_context():
        assert _snapshot() == before
