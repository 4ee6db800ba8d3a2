"""The office's letterhead for the quarterly report: one form, each field checked with its own message."""
from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, Length, Optional

from ..forms import Form
from .letterhead import DEFAULTS, LENGTHS

# A report's symbol: "BC-" then the issuing body's abbreviation, without spaces or a slash ("BC-VPĐP").
SYMBOL = re.compile(r"BC-[^\s/]+")
# On whose authority a deputy or an officer signs (Decree 30/2020, Appendix I): TM., KT., TL., TUQ., Q.
AUTHORITY = re.compile(r"(TM|KT|TL|TUQ|Q)\.\s*\S.*", re.IGNORECASE)
RECIPIENT_LINES = 30


def _nfc(value: str | None) -> str | None:
    """Text as NFC, trimmed: a decomposed "Lưu" from some keyboards is the same word."""
    return unicodedata.normalize("NFC", value).strip() if value else value


def _required(message):
    return [DataRequired(message)]


class LetterheadForm(Form):
    """Who issues the report, its symbol and place, its recipients and its signatory."""

    parent_body = StringField(_l("Cơ quan chủ quản (dòng trên, để trống nếu không có)"), filters=[_nfc],
                              validators=[Optional(), Length(max=LENGTHS["parent_body"])])
    issuing_body = StringField(_l("Cơ quan ban hành báo cáo"), filters=[_nfc],
                               validators=[*_required(_l("Nhập tên cơ quan ban hành.")),
                                           Length(max=LENGTHS["issuing_body"])])
    symbol = StringField(_l("Ký hiệu báo cáo (sau «Số: …/»)"), filters=[_nfc],
                         validators=[*_required(_l("Nhập ký hiệu, ví dụ BC-VPĐP.")), Length(max=LENGTHS["symbol"])])
    place = StringField(_l("Địa danh (trước «ngày … tháng … năm …»)"), filters=[_nfc],
                        validators=[*_required(_l("Nhập địa danh, ví dụ Lạng Sơn.")), Length(max=LENGTHS["place"])])
    recipients = TextAreaField(_l("Nơi nhận (mỗi dòng một nơi)"), filters=[_nfc],
                               validators=[*_required(_l("Nhập ít nhất một nơi nhận.")),
                                           Length(max=LENGTHS["recipients"])])
    filing = StringField(_l("Dòng lưu"), filters=[_nfc], validators=[*_required(_l("Nhập dòng lưu, ví dụ «Lưu: VT, TH.».")),
                                                     Length(max=LENGTHS["filing"])])
    authority = StringField(_l("Thẩm quyền ký (TM., KT., TL.; để trống khi người đứng đầu ký)"), filters=[_nfc],
                            validators=[Optional(), Length(max=LENGTHS["authority"])])
    signer_title = StringField(_l("Chức vụ người ký"), filters=[_nfc],
                               validators=[*_required(_l("Nhập chức vụ người ký.")),
                                           Length(max=LENGTHS["signer_title"])])
    signer_name = StringField(_l("Họ và tên người ký"), filters=[_nfc],
                              validators=[*_required(_l("Nhập họ và tên người ký.")),
                                          Length(max=LENGTHS["signer_name"])])

    def values(self) -> dict[str, str]:
        """The letterhead's fields as the operation takes them."""
        return {name: self[name].data or "" for name in DEFAULTS}

    def validate_symbol(self, field) -> None:
        if not SYMBOL.fullmatch(field.data.strip()):
            raise ValidationError(_l("Ký hiệu bắt đầu bằng «BC-», không có dấu cách hay dấu «/», ví dụ BC-VPĐP."))

    def validate_recipients(self, field) -> None:
        lines = [line for line in field.data.splitlines() if line.strip(" -–+•\t")]
        if not lines:
            raise ValidationError(_l("Nhập ít nhất một nơi nhận."))
        if len(lines) > RECIPIENT_LINES:
            raise ValidationError(_l("Nhiều nhất 30 nơi nhận."))
        if any(len(line) > 200 for line in lines):
            raise ValidationError(_l("Mỗi nơi nhận không dài quá 200 ký tự."))

    def validate_filing(self, field) -> None:
        if not field.data.strip().lower().startswith("lưu"):
            raise ValidationError(_l("Dòng lưu bắt đầu bằng «Lưu:», ví dụ «Lưu: VT, TH.»."))

    def validate_authority(self, field) -> None:
        if field.data.strip() and not AUTHORITY.fullmatch(field.data.strip()):
            raise ValidationError(_l("Thẩm quyền ký bắt đầu bằng TM., KT., TL., TUQ. hoặc Q., ví dụ «TM. BAN CHỈ ĐẠO»."))
