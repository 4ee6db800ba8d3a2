"""The report's letterhead (Decree 30/2020/NĐ-CP, Appendix I): the settings the office edits once, and
their printed form, which the DOCX frame and the XLSX annex line read from `report.letterhead`."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

# The plan is issued by UBND tỉnh Lạng Sơn; the office writes the reports for the Steering Committee.
DEFAULTS = {
    "parent_body": "UBND tỉnh Lạng Sơn",
    "issuing_body": "Văn phòng Điều phối nông thôn mới tỉnh",
    "symbol": "BC-VPĐP",
    "place": "Lạng Sơn",
    "recipients": "Ban Chỉ đạo các Chương trình MTQG tỉnh (b/c);\nUBND tỉnh (b/c);\n"
                  "Các thành viên Ban Chỉ đạo tỉnh;\nUBND các huyện, thành phố;",
    "filing": "Lưu: VT, TH.",
    "authority": "",
    "signer_title": "Chánh Văn phòng",
    "signer_name": "",
}
LENGTHS = {"parent_body": 200, "issuing_body": 200, "symbol": 30, "place": 60, "recipients": 2000, "filing": 120,
           "authority": 80, "signer_title": 120, "signer_name": 120}


class LetterheadSettings(db.Model):
    """One row: who issues the quarterly report, its symbol, place, recipients and signatory."""

    __tablename__ = "letterhead_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_body: Mapped[str] = mapped_column(sa.String(LENGTHS["parent_body"]), default="")
    issuing_body: Mapped[str] = mapped_column(sa.String(LENGTHS["issuing_body"]))
    symbol: Mapped[str] = mapped_column(sa.String(LENGTHS["symbol"]))
    place: Mapped[str] = mapped_column(sa.String(LENGTHS["place"]))
    recipients: Mapped[str] = mapped_column(sa.Text, default="")  # one per line
    filing: Mapped[str] = mapped_column(sa.String(LENGTHS["filing"]))
    authority: Mapped[str] = mapped_column(sa.String(LENGTHS["authority"]), default="")  # "TM. …", "KT. …"
    signer_title: Mapped[str] = mapped_column(sa.String(LENGTHS["signer_title"]))
    signer_name: Mapped[str] = mapped_column(sa.String(LENGTHS["signer_name"]), default="")


@dataclass(frozen=True)
class Letterhead:
    """The letterhead as it prints: bodies, authority and title in upper case, recipients one a line."""

    parent_body: str
    issuing_body: str
    symbol: str
    place: str
    recipients: tuple[str, ...]
    filing: str
    authority: str
    signer_title: str
    signer_name: str
    issuer_name: str = ""  # the issuing body as a sentence names it ("Văn phòng Điều phối …")

    @property
    def number_line(self) -> str:
        """"Số:        /BC-VPĐP": the number stays blank for the registry."""
        return f"Số:{NUMBER_BLANK}/{self.symbol}"

    @property
    def date_line(self) -> str:
        """"Lạng Sơn, ngày      tháng      năm      ": the date stays blank for the registry."""
        return f"{self.place}, {BLANK_DATE}"

    @property
    def annex_line(self) -> str:
        """"(Kèm theo Báo cáo số      /BC-VPĐP ngày … của …)", under an annex's title."""
        return f"(Kèm theo Báo cáo số{NUMBER_BLANK}/{self.symbol} {BLANK_DATE} của {self.issuer_name})"


# Non-breaking spaces where the registry writes by hand: a line never wraps inside a blank.
NUMBER_BLANK = "\u00a0" * 8
_BLANK = " " + "\u00a0" * 6 + " "
BLANK_DATE = f"ngày{_BLANK}tháng{_BLANK}năm" + " " + "\u00a0" * 6


def _lines(text: str) -> tuple[str, ...]:
    """Recipients one a line, without a typed leading dash (the document adds its own)."""
    return tuple(line.strip().lstrip("-–+• ").strip() for line in text.splitlines() if line.strip(" -–+•\t"))


def stored_settings() -> LetterheadSettings | None:
    """The office's saved letterhead row, if it has saved one."""
    return db.session.get(LetterheadSettings, 1)


def settings_or_defaults() -> LetterheadSettings:
    """The saved row, or an unsaved one holding the defaults (nothing is written by reading)."""
    return stored_settings() or LetterheadSettings(id=1, **DEFAULTS)


def printed(settings: LetterheadSettings) -> Letterhead:
    """The letterhead as the documents print it."""
    return Letterhead(
        parent_body=settings.parent_body.strip().upper(), issuing_body=settings.issuing_body.strip().upper(),
        symbol=settings.symbol.strip(), place=settings.place.strip(), recipients=_lines(settings.recipients),
        filing=settings.filing.strip(), authority=settings.authority.strip().upper(),
        signer_title=settings.signer_title.strip().upper(), signer_name=settings.signer_name.strip(),
        issuer_name=settings.issuing_body.strip())


def current_letterhead() -> Letterhead:
    """The letterhead every report prints now."""
    return printed(settings_or_defaults())


def save_letterhead(values: dict[str, str]) -> LetterheadSettings:
    """Keep the office's letterhead (validated by the form): the one row, created on first save."""
    row = stored_settings()
    if row is None:
        row = LetterheadSettings(id=1, **DEFAULTS)
        db.session.add(row)
    for name in DEFAULTS:
        value = values.get(name, "")
        value = "\n".join(_lines(value)) if name == "recipients" else " ".join(value.split())
        setattr(row, name, value)
    db.session.flush()
    return row
