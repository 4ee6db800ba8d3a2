"""The frame of an administrative document (Decree 30/2020/NĐ-CP, Appendix I) in python-docx: A4 portrait,
Times New Roman, the header table (issuing body, number, quốc hiệu, tiêu ngữ, place and date), the title
and trích yếu, "Nơi nhận" and the signature block, page numbers from page 2, and annexes in landscape.
word.py writes the body between them."""
from __future__ import annotations

from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from .letterhead import Letterhead

FONT = "Times New Roman"
BODY_PT = 14
BLACK = RGBColor(0, 0, 0)
NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
# Portrait: left 30 mm (the binding), right 15-20, top and bottom 20-25 (the Decree's ranges).
PORTRAIT = {"top_margin": Cm(2), "bottom_margin": Cm(2), "left_margin": Cm(3), "right_margin": Cm(1.8)}
# Landscape annexes are bound along their top edge, so the wide margin moves there.
LANDSCAPE = {"top_margin": Cm(3), "bottom_margin": Cm(2), "left_margin": Cm(2), "right_margin": Cm(2)}
TEXT_CM = 21.0 - 3 - 1.8  # the portrait text width
HEAD_CM = (6.3, TEXT_CM - 6.3)  # issuing body | quốc hiệu
SIGN_CM = (7.5, TEXT_CM - 7.5)  # nơi nhận | signature


def run(paragraph, text: str, size: float = BODY_PT, *, bold: bool = False, italic: bool = False,
        underline: bool = False):
    """A run of black Times New Roman text (set on the run, so no style of Word's can make it blue)."""
    r = paragraph.add_run(text)
    r.bold, r.italic, r.underline = bold, italic, underline
    r.font.name, r.font.size, r.font.color.rgb = FONT, Pt(size), BLACK
    r._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    return r


def para(container, text: str = "", size: float = BODY_PT, *, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent: bool = False,
         bold: bool = False, italic: bool = False, before: float = 0, after: float = 6, keep: bool = False):
    """A paragraph of one run: body text is justified, its first line indented 1 cm, 6 pt after."""
    p = container.add_paragraph()
    p.alignment = align
    fmt = p.paragraph_format
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(before), Pt(after), 1.1
    if indent:
        fmt.first_line_indent = Cm(1)
    if keep:
        fmt.keep_with_next = True
    if text:
        run(p, text, size, bold=bold, italic=italic)
    return p


def heading(document, text: str):
    """A heading as administrative documents set it: "I. …", bold, black, the body's font and size."""
    return para(document, text, bold=True, indent=True, before=6, keep=True)


def new_document(document) -> None:
    """A4 portrait, the Decree's margins, Times New Roman 14 pt, Vietnamese; page numbers from page 2."""
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    for side, value in PORTRAIT.items():
        setattr(section, side, value)
    section.header_distance = Cm(1)
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size, normal.font.color.rgb = FONT, Pt(BODY_PT), BLACK
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), FONT)
    language = OxmlElement("w:lang")
    language.set(qn("w:val"), "vi-VN")  # Word checks the spelling as Vietnamese
    normal.element.get_or_add_rPr().insert_element_before(language, "w:eastAsianLayout", "w:specVanish", "w:oMath")
    # No number on the first page; from the second, centred at the top.
    section.different_first_page_header_footer = True
    _page_number(section.header.paragraphs[0])


def _page_number(paragraph) -> None:
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "2"), ("end", None)):
        r = run(paragraph, "", BODY_PT)
        if kind:
            field = OxmlElement("w:fldChar")
            field.set(qn("w:fldCharType"), kind)
            r._element.append(field)
        elif text == " PAGE ":
            code = OxmlElement("w:instrText")
            code.set(qn("xml:space"), "preserve")
            code.text = text
            r._element.append(code)
        else:
            r.text = text


def _no_borders(table) -> None:
    """A layout table: no border on any edge."""
    properties = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    # Word refuses a file whose table properties are out of the schema's order.
    properties.insert_element_before(borders, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook",
                                     "w:tblCaption", "w:tblDescription", "w:tblPrChange")


def set_widths(table, widths_cm) -> None:
    """Fixed column widths (both the grid LibreOffice reads and each cell, which Word reads)."""
    table.autofit = False
    for column, width in zip(table.columns, widths_cm):
        column.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm):
            cell.width = Cm(width)


def _layout_table(document, widths_cm):
    table = document.add_table(rows=1, cols=len(widths_cm))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _no_borders(table)
    set_widths(table, widths_cm)
    return table.rows[0].cells


def _cell_para(cell, text: str, size: float, *, first: bool = False, **style):
    """A centred line in a header cell (the cell's own empty first paragraph is used first)."""
    p = cell.paragraphs[0] if first else cell.add_paragraph()
    p.alignment = style.pop("align", WD_ALIGN_PARAGRAPH.CENTER)
    p.paragraph_format.space_after = Pt(style.pop("after", 0))
    p.paragraph_format.space_before = Pt(style.pop("before", 0))
    if text:
        run(p, text, size, **style)
    return p


def _rule(container, width_cm: float, line_cm: float) -> None:
    """A short centred line (the Decree's rule under the issuing body and the trích yếu): a bordered empty paragraph."""
    p = container.add_paragraph()
    fmt = p.paragraph_format
    fmt.left_indent = fmt.right_indent = Cm(max(0.0, (width_cm - line_cm) / 2))
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(0), Pt(0), Pt(2)
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for name, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(name), value)
    border.append(bottom)
    p._p.get_or_add_pPr().insert_element_before(
        border, "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
        "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
        "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
        "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle",
        "w:rPr", "w:sectPr", "w:pPrChange")


def letterhead_block(document, head: Letterhead) -> None:
    """The header table: the bodies and the number on the left; quốc hiệu, tiêu ngữ, place and date on the right."""
    left, right = _layout_table(document, HEAD_CM)
    _cell_para(left, head.parent_body, 13, first=True)
    _cell_para(left, head.issuing_body, 13, bold=True)
    _rule(left, HEAD_CM[0] - 0.4, 2.5)
    _cell_para(left, head.number_line, 13, before=6)
    _cell_para(right, NATION, 12, first=True, bold=True)
    _cell_para(right, MOTTO, 13, bold=True, underline=True)
    _cell_para(right, head.date_line, 14, italic=True, before=12)


def title_block(document, abstract: str) -> None:
    """"BÁO CÁO", centred and bold, the trích yếu beneath it, and a short rule."""
    para(document, "BÁO CÁO", 14, align=WD_ALIGN_PARAGRAPH.CENTER, bold=True, before=24, after=0)
    para(document, abstract, 14, align=WD_ALIGN_PARAGRAPH.CENTER, bold=True, after=0)
    _rule(document, TEXT_CM, 3.5)
    para(document, after=6)


def closing_block(document, head: Letterhead) -> None:
    """"Nơi nhận:" with the recipients and the filing line bottom left; the signature block bottom right."""
    para(document, after=0)  # a line between the body's last sentence and the block
    left, right = _layout_table(document, SIGN_CM)
    _cell_para(left, "Nơi nhận:", 12, first=True, align=WD_ALIGN_PARAGRAPH.LEFT, bold=True, italic=True)
    for recipient in head.recipients:
        ending = "" if recipient.endswith((";", ".", ",", ":")) else ";"
        _cell_para(left, f"- {recipient}{ending}", 11, align=WD_ALIGN_PARAGRAPH.LEFT)
    if head.filing:
        _cell_para(left, f"- {head.filing}", 11, align=WD_ALIGN_PARAGRAPH.LEFT)
    lines = [line for line in (head.authority, head.signer_title) if line]
    for index, line in enumerate(lines):
        _cell_para(right, line, 14, first=index == 0, bold=True)
    for _ in range(4):  # the space to sign and stamp
        _cell_para(right, "", 14, first=not lines and _ == 0)
    _cell_para(right, head.signer_name, 14, bold=True)


def annex_section(document):
    """A new landscape section for the annexes, numbered on as before."""
    section = document.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side, value in LANDSCAPE.items():
        setattr(section, side, value)
    section.different_first_page_header_footer = False
    return section


def annex_heading(document, numeral: str, title: str, head: Letterhead, *, first: bool) -> None:
    """"Phụ lục I", its title and "(Kèm theo Báo cáo số …/BC-… ngày … của …)", each annex on a new page."""
    p = para(document, f"Phụ lục {numeral}", 14, align=WD_ALIGN_PARAGRAPH.CENTER, bold=True, after=0, keep=True)
    p.paragraph_format.page_break_before = not first
    para(document, title.upper(), 14, align=WD_ALIGN_PARAGRAPH.CENTER, bold=True, after=0, keep=True)
    para(document, head.annex_line, 14, align=WD_ALIGN_PARAGRAPH.CENTER, italic=True, after=12, keep=True)
