"""Forms for signing in, the profile, and the office's user administration."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, EmailField, HiddenField, PasswordField, SelectChoice, SelectField, StringField,
                     ValidationError)
from wtforms.validators import AnyOf, DataRequired, Email, EqualTo, Length, Optional

from ..forms import Form
from ..forms import choices as _choices
from ..i18n import LANGUAGES
from .models import ROLE_LABELS

MIN_PASSWORD = 10


class LoginForm(Form):
    """E-mail and password."""

    email = EmailField(_l("Thư điện tử"), validators=[DataRequired(_l("Nhập thư điện tử.")), Length(max=254)])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(_l("Nhập mật khẩu.")), Length(max=200)])
    next = HiddenField()


class DirectoryLoginForm(LoginForm):
    """With the province's directory on: its login (uid) as well as an e-mail, so a plain text field."""

    email = StringField(_l("Thư điện tử hoặc tên đăng nhập"),
                        validators=[DataRequired(_l("Nhập thư điện tử hoặc tên đăng nhập.")), Length(max=254)],
                        render_kw={"autocapitalize": "off", "spellcheck": "false"})


class CodeForm(Form):
    """A code from the authenticator app, or a recovery code."""

    code = StringField(_l("Mã xác thực"), validators=[DataRequired(_l("Nhập mã gồm 6 chữ số từ ứng dụng xác thực.")),
                                                       Length(max=40)],
                       render_kw={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"})


class SecurityForm(Form):
    """The office's sign-in rule."""

    require_two_factor = BooleanField(_l("Bắt buộc xác thực hai lớp với mọi tài khoản Văn phòng Điều phối và Lãnh đạo"))


class PasswordForm(Form):
    """Change one's own password."""

    current = PasswordField(_l("Mật khẩu hiện tại"), validators=[DataRequired(), Length(max=200)])
    new = PasswordField(_l("Mật khẩu mới"), validators=[
        DataRequired(), Length(MIN_PASSWORD, 200, _l("Mật khẩu mới cần ít nhất %(min)d ký tự."))])
    confirm = PasswordField(_l("Nhập lại"), validators=[EqualTo("new", _l("Hai lần nhập không khớp."))])
    revoke_tokens = BooleanField(_l("Thu hồi mọi token API của tôi (nếu mật khẩu có thể đã lộ)"))


class TokenForm(Form):
    """Name a new API token."""

    name = StringField(_l("Tên token (vd: phần mềm báo cáo)"), validators=[Optional(), Length(max=100)])


class UserForm(Form):
    """The office edits an account: a blank password keeps the current one."""

    email = EmailField(_l("Thư điện tử"), validators=[DataRequired(), Email(_l("Thư điện tử không hợp lệ.")), Length(max=254)])
    name = StringField(_l("Họ tên"), validators=[Optional(), Length(max=200)])
    agency = StringField(_l("Cơ quan (tên hoặc tên viết tắt)"), validators=[DataRequired(), Length(max=200)])
    # Officer first and by default: most accounts belong to a department or a district, and the
    # office's rights (every line, every account) must be chosen, never fallen into.
    role = SelectField(_l("Vai trò"), choices=_choices("", {role: ROLE_LABELS[role] for role in ("officer", "leader", "office")})[1:],
                       default="officer")
    password = PasswordField(_l("Mật khẩu mới (để trống: giữ nguyên mật khẩu hiện tại)"), validators=[
        Optional(), Length(MIN_PASSWORD, 200, _l("Mật khẩu cần ít nhất %(min)d ký tự."))])
    active = BooleanField(_l("Đang hoạt động"), default=True)


class NewUserForm(UserForm):
    """The office creates an account: a blank password sends the person an invitation to set their own."""

    password = PasswordField(_l("Mật khẩu (để trống: gửi thư mời tự đặt mật khẩu, hiệu lực 72 giờ)"), validators=[
        Optional(), Length(MIN_PASSWORD, 200, _l("Mật khẩu cần ít nhất %(min)d ký tự."))])


class SetPasswordForm(Form):
    """An invited person sets their own password (the same rules as changing one's password)."""

    new = PasswordField(_l("Mật khẩu mới"), validators=[
        DataRequired(), Length(MIN_PASSWORD, 200, _l("Mật khẩu mới cần ít nhất %(min)d ký tự."))])
    confirm = PasswordField(_l("Nhập lại"), validators=[EqualTo("new", _l("Hai lần nhập không khớp."))])


class LanguageForm(Form):
    """The interface's language (the switch in every page's header), and the page to go back to."""

    language = SelectField(_l("Ngôn ngữ"), choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()], validators=[DataRequired()])
    next = HiddenField()


class ProfileApiForm(LanguageForm):
    """What PUT /api/v1/me changes, as the pages do: one's language (no password, no name: those are the office's
    or the profile page's own)."""

    next = None  # a page's way back: no meaning in the API


class JsonBoolean(BooleanField):
    """A tick given as JSON true/false; left out, the field keeps its default (or the value it was given)."""

    false_values = ("false", "False", "")
    api_schema = {"type": "boolean"}

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = valuelist[0] not in self.false_values


class UserApiForm(UserForm):
    """An account as PUT /api/v1/users/{id} takes it: `active` a JSON boolean, unchanged when left out."""

    active = JsonBoolean(_l("Đang hoạt động"), default=True)


class NewUserApiForm(NewUserForm):
    """A new account as POST /api/v1/users takes it: `active` a JSON boolean, true when left out."""

    active = JsonBoolean(_l("Đang hoạt động"), default=True)


class AccessAnswerForm(Form):
    """The office answers a person whose department or district the directory names in words the tracker does not
    know: that name becomes an alias of the chosen agency (the person can sign in), or the request is dismissed."""

    # Choices are the agencies (not groups) by name, set by the view; the operation finds the agency again.
    agency = SelectField(_l("Là cơ quan"), coerce=str, validate_choice=False, validators=[Length(max=200)])
    decision = StringField(validators=[DataRequired(_l("Chọn cách trả lời.")),
                                       AnyOf(("alias", "dismiss"), _l("Chọn cách trả lời."))])

    def validate_agency(self, field) -> None:
        """Adding an alias needs the agency it names."""
        if self.decision.data == "alias" and not field.data:
            raise ValidationError(_l("Chọn cơ quan mà danh bạ gọi bằng tên này."))


class AccessAnswerApiForm(AccessAnswerForm):
    """An answer as POST /api/v1/access-requests/{id} takes it: the agency by any of its names or aliases."""

    agency = StringField(_l("Là cơ quan"), validators=[Length(max=200)])
    decision = SelectField(_l("Trả lời"), choices=[SelectChoice("alias", _l("Thêm tên gọi khác")),
                                                   SelectChoice("dismiss", _l("Bỏ qua"))],
                           validators=[DataRequired(_l("Chọn cách trả lời."))])
