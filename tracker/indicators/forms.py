"""Forms for a quarter's figure, the body that reports it, a commune's criteria and a communes file."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, MultipleFileField
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import Form, VietnameseDateField, WholeNumberField


class FigureForm(Form):
    """The responsible body's figure for a quarter: cumulative to the quarter's end, in the indicator's unit."""

    quarter = WholeNumberField(_l("Quý"), validators=[InputRequired(_l("Chọn quý."))])
    district = SelectField(_l("Huyện, thành phố"), coerce=str, validate_choice=False, validators=[Optional()])
    value = StringField(_l("Số liệu lũy kế đến cuối quý"),
                        validators=[DataRequired(_l("Nhập số liệu.")), Length(max=40)])
    note = TextAreaField(_l("Ghi chú, nguồn số liệu"), validators=[Optional(), Length(max=2000)])
    attachments = MultipleFileField(_l("Tài liệu minh chứng (PDF, DOCX, XLSX, ảnh)"))


class ResponsibleForm(Form):
    """The office names the body that reports an indicator."""

    agency = SelectField(_l("Cơ quan báo cáo"), coerce=str, validators=[Optional()])


class CriteriaForm(Form):
    """What a commune meets from a date on."""

    since = VietnameseDateField(_l("Từ ngày"), validators=[InputRequired(_l("Nhập ngày công nhận, dạng dd/mm/yyyy."))])
    met = SelectMultipleField(_l("Tiêu chí đạt"), coerce=str, choices=[SelectChoice(str(k), str(k)) for k in range(1, 20)],
                              option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False),
                              validators=[Optional()])
    note = TextAreaField(_l("Căn cứ (quyết định công nhận, biên bản…)"), validators=[Optional(), Length(max=2000)])


class CommunesFileForm(Form):
    """A communes file (CSV or XLSX) from the districts' spreadsheets."""

    file = FileField(_l("Tệp danh sách xã (CSV hoặc XLSX)"))


MAX_ID = 999_999_999  # an id the API takes: nine digits, as the pages read one


class FigureApiForm(FigureForm):
    """The figure as the API takes it: `district` by id, `value` as text ("35.500", "90,6") or a JSON number."""

    api_types = {
        "district": {"type": "integer", "minimum": 1, "maximum": MAX_ID,
                     "description": "The district's id, for an aim set per district (a district's officer: its own)."},
        "value": {"anyOf": [{"type": "string", "maxLength": 40}, {"type": "number"}],
                  "description": "Cumulative to the quarter's end, in the indicator's unit: 35.500, \"90,6\" or 90.6."},
    }


class ResponsibleApiForm(ResponsibleForm):
    """The body that reports an indicator, by id; null or absent gives it to no body."""

    agency = SelectField(_l("Cơ quan báo cáo"), coerce=str, validate_choice=False, validators=[Optional()])
    api_types = {"agency": {"type": "integer", "minimum": 1, "maximum": MAX_ID,
                            "description": "The agency's id (a single body, never a group), or null for none."}}


class CriteriaApiForm(CriteriaForm):
    """A commune's criteria as the API takes them: `met` a list of numbers 1–19."""

    api_types = {"met": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 19},
                         "description": "Every criterion the commune meets from `since` on (the others: not met)."}}
