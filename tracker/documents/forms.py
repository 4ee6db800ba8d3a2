"""Forms of a plan's document: the upload, a proposed row's correction, a directory name, the import."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..forms import Form


class DocumentForm(Form):
    """The plan as issued: a PDF (text or scan), an image, DOCX, XLSX or CSV."""

    file = FileField(_l("Tệp kế hoạch (PDF, ảnh scan, DOCX, XLSX, CSV)"))


class RowForm(Form):
    """A proposed row's cells as the office corrects them."""

    tt = StringField(_l("TT"), validators=[Optional(), Length(max=20)])
    title = TextAreaField(_l("Nội dung công việc"), validators=[Optional(), Length(max=2000)])
    lead = StringField(_l("Chỉ đạo"), validators=[Optional(), Length(max=2000)])
    executing = StringField(_l("Cơ quan thực hiện"), validators=[Optional(), Length(max=2000)])
    coordinating = StringField(_l("Cơ quan phối hợp"), validators=[Optional(), Length(max=2000)])
    timeline = StringField(_l("Thời gian"), validators=[Optional(), Length(max=2000)])
    version = HiddenField()
    save = SubmitField(_l("Lưu"))
    confirm = SubmitField(_l("Lưu và xác nhận đúng"))


class AliasForm(Form):
    """A name the document uses for a body in the directory."""

    alias = StringField(_l("Tên trong tài liệu"), validators=[DataRequired(_l("Nhập tên.")), Length(max=200)])
    agency = SelectField(_l("là cơ quan"), coerce=str, validate_choice=False,
                         validators=[DataRequired(_l("Chọn cơ quan."))])


class ImportForm(Form):
    """The office's confirmation of the import."""

    carry_over = BooleanField(_l("Chuyển các phần việc chưa xong của năm trước sang năm nay"), default=False)
    version = HiddenField()
