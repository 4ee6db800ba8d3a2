"""The quarterly report in Word is an administrative document (Decree 30/2020/NĐ-CP, Appendix I), states
its facts as of its as-of day, and prints the letterhead the office sets on its page."""
from __future__ import annotations

import io
import re
from datetime import date

import pytest
import sqlalchemy as sa
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from helpers import user_of
from tracker.extensions import db
from tracker.exports.letterhead import LetterheadSettings
from tracker.indicators.counts import standings
from tracker.reporting.models import ReportingRound
from tracker.reporting.services import submit_report

Q1 = "/reports/quarterly.docx?year=2021&quarter=1"
GOOD = {
    "parent_body": "UBND tỉnh Lạng Sơn",
    "issuing_body": "Ban Chỉ đạo các Chương trình MTQG tỉnh",
    "symbol": "BC-BCĐ",
    "place": "Lạng Sơn",
    "recipients": "- Ban Chỉ đạo Trung ương (b/c);\nUBND tỉnh (b/c);\n\nCác thành viên BCĐ tỉnh",
    "filing": "Lưu: VT, VPĐP.",
    "authority": "TM. Ban Chỉ đạo",
    "signer_title": "Phó Trưởng ban Thường trực",
    "signer_name": "Nguyễn Văn Bình",
}


def docx_of(client, url: str = Q1):
    response = client.get(url)
    assert response.status_code == 200
    return Document(io.BytesIO(response.data))


def all_text(document) -> str:
    """Every paragraph, in the body and in every table's cells."""
    cells = [p.text for t in document.tables for row in t.rows for c in row.cells for p in c.paragraphs]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def lines(cell) -> list[str]:
    return [p.text for p in cell.paragraphs if p.text.strip()]


def paragraph(cell, text: str):
    return next(p for p in cell.paragraphs if p.text == text)


def has_no_borders(table) -> bool:
    borders = table._tbl.tblPr.find(qn("w:tblBorders"))
    return borders is not None and all(edge.get(qn("w:val")) == "nil" for edge in borders)


def test_the_docx_is_an_administrative_report(seeded, reader):
    document = docx_of(reader)
    body = document.sections[0]
    # A4 portrait, the Decree's margins.
    assert body.orientation == WD_ORIENT.PORTRAIT
    assert abs(body.page_width - Mm(210)) < Mm(1) and abs(body.page_height - Mm(297)) < Mm(1)
    assert Mm(20) <= body.top_margin <= Mm(25) and Mm(20) <= body.bottom_margin <= Mm(25)
    assert Mm(30) <= body.left_margin <= Mm(35) and Mm(15) <= body.right_margin <= Mm(20)
    # Times New Roman 13-14 pt, black, everywhere; no Word heading style (blue, sans-serif).
    normal = document.styles["Normal"].font
    assert normal.name == "Times New Roman" and Pt(13) <= normal.size <= Pt(14)
    runs = [r for p in document.paragraphs for r in p.runs] + \
        [r for t in document.tables for row in t.rows for c in row.cells for p in c.paragraphs for r in p.runs]
    assert {r.font.name for r in runs if r.text.strip()} == {"Times New Roman"}
    assert {r.font.color.rgb for r in runs if r.text.strip()} == {RGBColor(0, 0, 0)}
    assert not [p.style.name for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    body_sizes = {r.font.size for p in document.paragraphs for r in p.runs if r.text.strip()}
    assert body_sizes <= {Pt(13), Pt(14)}

    # The header table: no borders; issuing body under its parent, upper case, the number left blank.
    header = document.tables[0]
    assert has_no_borders(header) and len(header.columns) == 2
    left, right = header.rows[0].cells
    assert lines(left)[:2] == ["UBND TỈNH LẠNG SƠN", "VĂN PHÒNG ĐIỀU PHỐI NÔNG THÔN MỚI TỈNH"]
    assert all(r.bold for r in paragraph(left, "VĂN PHÒNG ĐIỀU PHỐI NÔNG THÔN MỚI TỈNH").runs)
    assert re.fullmatch(r"Số:\s{5,}/BC-VPĐP", lines(left)[2])
    # Quốc hiệu, tiêu ngữ underlined, place and an empty date in italics.
    assert lines(right) == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", lines(right)[2]]
    assert all(r.bold for r in paragraph(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM").runs)
    motto = paragraph(right, "Độc lập - Tự do - Hạnh phúc")
    assert all(r.underline and r.bold for r in motto.runs)
    assert re.fullmatch(r"Lạng Sơn, ngày\s{3,}tháng\s{3,}năm\s*", lines(right)[2])
    assert all(r.italic for r in paragraph(right, lines(right)[2]).runs)

    # "BÁO CÁO", then the trích yếu, centred and bold.
    texts = [p.text for p in document.paragraphs]
    title = document.paragraphs[texts.index("BÁO CÁO")]
    abstract = document.paragraphs[texts.index("BÁO CÁO") + 1]
    for p in (title, abstract):
        assert p.alignment == WD_ALIGN_PARAGRAPH.CENTER and all(r.bold for r in p.runs)
    assert abstract.text.startswith("Tình hình thực hiện Kế hoạch") and abstract.text.endswith("Lạng Sơn năm 2021, quý I")
    assert abstract.text.count("2021") == 1  # the year once
    assert "(đến ngày" not in abstract.text  # the quarter has ended

    # Headings numbered I., II. … in the body's font, bold.
    headings = [p for p in document.paragraphs if re.match(r"(I|II|III|IV|V)\. ", p.text)]
    assert [p.text.split(".")[0] for p in headings] == ["I", "II", "III", "IV", "V"]
    assert all(r.bold and r.font.size == Pt(14) for p in headings for r in p.runs)

    # Nơi nhận bottom left (12 pt bold italic label, 11 pt list, the filing line last); signature bottom right.
    closing = document.tables[1]
    assert has_no_borders(closing)
    recipients, signature = closing.rows[0].cells
    label = recipients.paragraphs[0]
    assert label.text == "Nơi nhận:" and all(r.bold and r.italic and r.font.size == Pt(12) for r in label.runs)
    listed = recipients.paragraphs[1:]
    assert listed[0].text == "- Ban Chỉ đạo các Chương trình MTQG tỉnh (b/c);" and listed[-1].text == "- Lưu: VT, TH."
    assert all(r.font.size == Pt(11) for p in listed for r in p.runs)
    assert lines(signature) == ["CHÁNH VĂN PHÒNG"]  # no name until the office sets one
    assert sum(1 for p in signature.paragraphs if not p.text) >= 3  # the space to sign

    # Page numbers from page 2, centred at the top; none on page 1.
    assert body.different_first_page_header_footer
    number = body.header.paragraphs[0]
    assert number.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert "PAGE" in "".join(t.text for t in number._p.iter(qn("w:instrText")))
    assert not body.first_page_header.paragraphs[0].text and not list(
        body.first_page_header.paragraphs[0]._p.iter(qn("w:instrText")))

    # Wide tables in a landscape annex, numbered on.
    annex = document.sections[-1]
    assert len(document.sections) == 2 and annex.orientation == WD_ORIENT.LANDSCAPE
    assert annex.page_width > annex.page_height and annex.header.is_linked_to_previous
    assert "Phụ lục I" in texts and "KẾT QUẢ THỰC HIỆN THEO CƠ QUAN THỰC HIỆN" in texts
    assert any(re.fullmatch(r"\(Kèm theo Báo cáo số\s+/BC-VPĐP ngày\s+tháng\s+năm\s+của Văn phòng Điều phối "
                            r"nông thôn mới tỉnh\)", t) for t in texts)
    assert "(chi tiết tại Phụ lục I kèm theo)" in all_text(document)


def test_a_running_quarter_is_stated_as_of_its_day(seeded, client, auth, travel):
    """Made on 04/12/2021, the Q4 report counts and says everything to that day, never the 31st."""
    with seeded.app_context():
        q4 = db.session.scalar(sa.select(ReportingRound).where(ReportingRound.title == "Báo cáo quý IV năm 2021"))
        officer = user_of("dinhlap@test.vn")
        submit_report(q4, officer.agency, officer, "Đã rà soát 18 xã.\nCòn 2 xã chưa đạt tiêu chí 17.\n\n"
                                                   "Kiến nghị bố trí vốn.", date(2021, 12, 10))
        db.session.commit()
        on_day, at_end = (standings([date(2021, 12, 4)])[date(2021, 12, 4)],
                          standings([date(2021, 12, 31)])[date(2021, 12, 31)])
    travel(2021, 12, 4)
    auth.login("lanhdao@test.vn")
    reader = client
    document = docx_of(reader, "/reports/quarterly.docx?year=2021&quarter=4")
    text = all_text(document)
    assert "31/12/2021" not in text and "Đến hết ngày" not in text
    assert "Tình hình thực hiện" in text and "năm 2021, quý IV (đến ngày 04/12/2021)" in text
    assert "(số liệu tính đến ngày 04/12/2021)" in text and "Đến ngày 04/12/2021: hoàn thành đúng hạn" in text
    assert on_day.standard != at_end.standard  # the sample's communes change in December: the day matters
    assert f"Đến ngày 04/12/2021, toàn tỉnh có {on_day.standard}/{on_day.communes} xã đạt chuẩn" in text
    assert "Thực hiện đến 04/12/2021" in text
    # A report submitted after the as-of day is not in yet.
    assert "UBND huyện Đình Lập (nộp ngày" not in text and "chưa có cơ quan nào nộp báo cáo kỳ này" in text

    later = docx_of(reader, "/reports/quarterly.docx?as_of=2021-12-15")
    assert "1. UBND huyện Đình Lập (nộp ngày 10/12/2021)" in all_text(later)
    # Its line breaks are kept: each line on a line of its own, a blank line parting its paragraphs.
    texts = [p.text for p in later.paragraphs]
    at = texts.index("Đã rà soát 18 xã.")
    assert texts[at:at + 3] == ["Đã rà soát 18 xã.", "Còn 2 xã chưa đạt tiêu chí 17.", "Kiến nghị bố trí vốn."]
    spacing = [later.paragraphs[at + i].paragraph_format.space_after for i in range(3)]
    assert spacing[0] < spacing[1] and spacing[1] == spacing[2]  # lines of one paragraph sit close together


@pytest.mark.parametrize("who", ["khdt@test.vn", "lanhdao@test.vn"])
def test_only_the_office_sets_the_letterhead(seeded, client, auth, who):
    auth.login(who)
    assert client.get("/reports/letterhead").status_code == 403
    assert client.post("/reports/letterhead", data=GOOD).status_code == 403
    assert "/reports/letterhead" not in client.get("/reminders").get_data(as_text=True)
    with seeded.app_context():
        assert db.session.get(LetterheadSettings, 1) is None


def test_the_office_sets_the_letterhead_the_docx_prints(seeded, client, auth):
    auth.login("vpdp@test.vn")
    page = client.get("/reports/letterhead")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'value="BC-VPĐP"' in html and "Ban Chỉ đạo các Chương trình MTQG tỉnh (b/c);" in html
    assert 'href="/reports/letterhead"' in client.get("/reminders").get_data(as_text=True)  # in the office's menu

    bad = {**GOOD, "issuing_body": " ", "symbol": "VPĐP/2021", "filing": "VT, TH.", "authority": "Thay mặt BCĐ",
           "recipients": "\n - \n"}
    response = client.post("/reports/letterhead", data=bad)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    for message in ("Nhập tên cơ quan ban hành.", "Ký hiệu bắt đầu bằng «BC-»", "Nhập ít nhất một nơi nhận.",
                    "Dòng lưu bắt đầu bằng «Lưu:»", "Thẩm quyền ký bắt đầu bằng TM., KT., TL."):
        assert message in html
    with seeded.app_context():
        assert db.session.get(LetterheadSettings, 1) is None
    assert "BC-VPĐP" in all_text(docx_of(client))

    response = client.post("/reports/letterhead", data=GOOD)
    assert response.status_code == 302
    document = docx_of(client)
    left, right = document.tables[0].rows[0].cells
    assert lines(left)[:2] == ["UBND TỈNH LẠNG SƠN", "BAN CHỈ ĐẠO CÁC CHƯƠNG TRÌNH MTQG TỈNH"]
    assert re.fullmatch(r"Số:\s+/BC-BCĐ", lines(left)[2])
    recipients, signature = document.tables[1].rows[0].cells
    assert lines(recipients) == ["Nơi nhận:", "- Ban Chỉ đạo Trung ương (b/c);", "- UBND tỉnh (b/c);",
                                 "- Các thành viên BCĐ tỉnh;", "- Lưu: VT, VPĐP."]
    assert lines(signature) == ["TM. BAN CHỈ ĐẠO", "PHÓ TRƯỞNG BAN THƯỜNG TRỰC", "Nguyễn Văn Bình"]
    assert any("của Ban Chỉ đạo các Chương trình MTQG tỉnh)" in p.text for p in document.paragraphs)

    # A later bad post changes nothing that was saved.
    assert client.post("/reports/letterhead", data={**GOOD, "symbol": "", "signer_name": ""}).status_code == 400
    assert lines(docx_of(client).tables[1].rows[0].cells[1])[-1] == "Nguyễn Văn Bình"
    with seeded.app_context():
        assert db.session.get(LetterheadSettings, 1).symbol == "BC-BCĐ"
