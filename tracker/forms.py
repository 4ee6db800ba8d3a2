"""Form helpers every domain shares: Vietnamese messages for WTForms' own checks, and choice lists.

WTForms ships no Vietnamese catalogue, so its built-in messages ("Not a valid integer value.") are
translated here once; every form of the app derives from `Form` (pages, with CSRF) or `ApiForm`
(JSON bodies and query strings, without), so a page and the API say the same thing about the same
bad value.
Every date field is a `VietnameseDateField`: dd/mm/yyyy in, dd/mm/yyyy out.
"""
from __future__ import annotations

from flask import g, has_request_context
from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import Form as PlainForm
from wtforms import DateField, IntegerField, SelectChoice
from wtforms.validators import StopValidation
from wtforms.widgets import TextInput

from .clock import BAD_DATE, parse_date, vn_date
from .i18n import current_language
from .i18n import lazy_label

VIETNAMESE = {
    "Field must be equal to %(other_name)s.": "Phải trùng với %(other_name)s.",
    "Field must be at least %(min)d character long.": "Cần ít nhất %(min)d ký tự.",
    "Field must be at least %(min)d characters long.": "Cần ít nhất %(min)d ký tự.",
    "Field cannot be longer than %(max)d character.": "Không dài quá %(max)d ký tự.",
    "Field cannot be longer than %(max)d characters.": "Không dài quá %(max)d ký tự.",
    "Field must be exactly %(max)d character long.": "Phải đúng %(max)d ký tự.",
    "Field must be exactly %(max)d characters long.": "Phải đúng %(max)d ký tự.",
    "Field must be between %(min)d and %(max)d characters long.": "Cần từ %(min)d đến %(max)d ký tự.",
    "Number must be at least %(min)s.": "Số phải từ %(min)s trở lên.",
    "Number must be at most %(max)s.": "Số không được lớn hơn %(max)s.",
    "Number must be between %(min)s and %(max)s.": "Số phải từ %(min)s đến %(max)s.",
    "Date must be at least %(min)s.": "Ngày không được trước %(min)s.",
    "Date must be at most %(max)s.": "Ngày không được sau %(max)s.",
    "Date must be between %(min)s and %(max)s.": "Ngày phải từ %(min)s đến %(max)s.",
    "This field is required.": "Mục này bắt buộc.",
    "Invalid input.": "Giá trị không hợp lệ.",
    "Invalid email address.": "Địa chỉ e-mail không hợp lệ.",
    "Invalid value, must be one of: %(values)s.": "Giá trị phải là một trong: %(values)s.",
    "Invalid value, can't be any of: %(values)s.": "Giá trị không được là: %(values)s.",
    "Invalid CSRF Token.": "Biểu mẫu không hợp lệ (CSRF). Tải lại trang rồi thử lại.",
    "CSRF token missing.": "Biểu mẫu thiếu mã bảo vệ (CSRF). Tải lại trang rồi thử lại.",
    "CSRF failed.": "Biểu mẫu không hợp lệ (CSRF). Tải lại trang rồi thử lại.",
    "CSRF token expired.": "Biểu mẫu đã hết hạn. Tải lại trang rồi thử lại.",
    "Invalid Choice: could not coerce.": "Lựa chọn không hợp lệ.",
    "Choices cannot be None.": "Chưa có lựa chọn nào.",
    "Not a valid choice.": "Lựa chọn không hợp lệ.",
    "Invalid choice(s): one or more data inputs could not be coerced.": "Có lựa chọn không hợp lệ.",
    "'%(value)s' is not a valid choice for this field.": "«%(value)s» không phải lựa chọn hợp lệ.",
    "'%(value)s' are not valid choices for this field.": "«%(value)s» không phải lựa chọn hợp lệ.",
    "Not a valid datetime value.": "Thời điểm không hợp lệ.",
    "Not a valid date value.": BAD_DATE,
    "Not a valid time value.": "Giờ không hợp lệ.",
    "Not a valid integer value.": "Không phải số nguyên.",
    "Not a valid decimal value.": "Không phải số.",
    "Not a valid float value.": "Không phải số.",
}


class VietnameseMessages:
    """A gettext-like catalogue of WTForms' built-in messages."""

    def gettext(self, message: str) -> str:
        # WTForms' own words are English already: the English interface keeps them.
        return message if current_language() == "en" else VIETNAMESE.get(message, message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


_MESSAGES = VietnameseMessages()


class Form(FlaskForm):
    """A page's form: CSRF-protected, its messages in Vietnamese; the page's error summary lists its errors."""

    class Meta:
        def get_translations(self, form):
            return _MESSAGES

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if has_request_context():
            g.setdefault("page_forms", []).append(self)


def forms_with_errors() -> list[Form]:
    """The forms made during this request that hold errors, in the order they were made (for the summary)."""
    return [form for form in g.get("page_forms", []) if form.errors] if has_request_context() else []


def init_app(app) -> None:
    """Let every page's layout ask for the forms with errors (base.html shows their summary at the top), and
    a query string's date input (`_forms.date_input`) take the same pattern as the date fields."""
    app.jinja_env.globals.update(forms_with_errors=forms_with_errors, DATE_PATTERN=DATE_PATTERN)


class ApiForm(PlainForm):
    """The same checks for a JSON body or a query string: no CSRF (the API authenticates by token)."""

    class Meta:
        def get_translations(self, form):
            return _MESSAGES


class WholeNumberField(IntegerField):
    """A whole number written in ASCII digits (no "²", no "٣", nothing beyond 18 digits); a value that is
    not one gets that one message, not a second one from the range check."""

    def process_formdata(self, valuelist):
        if not valuelist or valuelist[0] in ("", None):
            return
        raw = str(valuelist[0]).strip()
        digits = raw[1:] if raw[:1] in "+-" else raw
        if not (digits.isascii() and digits.isdigit() and len(digits) <= 18):
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value."))
        self.data = int(raw)

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()


# What a date field accepts as typed: d/m/yyyy or dd/mm/yyyy, or YYYY-MM-DD (pasted from a link).
DATE_PATTERN = r"\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2}"


class VietnameseDateField(DateField):
    """A date typed and shown as dd/mm/yyyy whatever the browser's language (a text input, not the
    browser's date picker, which follows the browser's locale: mm/dd/yyyy in an English one); also
    reads YYYY-MM-DD. Read by the app's one date parser, `clock.parse_date`."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"inputmode": "numeric", "pattern": DATE_PATTERN, "placeholder": "dd/mm/yyyy", "title": "dd/mm/yyyy",
                     "autocomplete": "off", "size": 10, "maxlength": 10, **(kwargs.pop("render_kw", None) or {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist or valuelist[0] in ("", None):
            return
        self.data = parse_date(str(valuelist[0]))
        if self.data is None:
            # Our own words in either language: WTForms' English one ("Not a valid date value.") names no format.
            raise ValueError(str(BAD_DATE))

    def _value(self):
        if self.raw_data:  # what was typed, shown back as typed (also when it was not a date)
            return " ".join(self.raw_data)
        return vn_date(self.data) if self.data else ""

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()


def json_formdata(payload: dict, lists: tuple[str, ...] = ()) -> MultiDict:
    """A JSON object as form data, so one form checks a page's post and the API's body alike.

    Text and whole numbers become their text; true and false become the words a checkbox reads
    ("true", "false"; a text field's schema refuses them); anything else (4.5, a list) becomes text the
    form refuses in its own words; null and absent keys are both "not given". The keys in `lists`
    take an array, each item one value (the ticks of a multiple choice).
    """
    data = MultiDict()
    for key, value in payload.items():
        if value is None:
            continue
        if key in lists and isinstance(value, list):
            for item in value:
                data.add(key, str(item) if isinstance(item, (str, int)) and not isinstance(item, bool) else repr(item))
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"  # BooleanField's false_values hold "false", not Python's "False"
        elif not isinstance(value, (str, int)):
            value = repr(value)
        data.add(key, str(value))
    return data


def show_errors(form, errors: dict[str, list[str]]) -> None:
    """An operation's per-field messages on the form's fields (the error summary lists them); a message for a
    field the form does not show goes on its first field, so none is lost."""
    for name, messages in errors.items():
        field = getattr(form, name, None) if name in form._fields else None
        field = field or next(f for f in form if f.type not in ("CSRFTokenField", "HiddenField"))
        field.errors = [*(field.errors or []), *messages]


def choices(any_label: str, labels: dict[str, str]) -> list[SelectChoice]:
    """An "any" choice and one per value of a vocabulary (literal labels only: never data, see test_escaping)."""
    return [SelectChoice("", any_label), *(SelectChoice(value, lazy_label(label)) for value, label in labels.items())]
