"""Forms for signing in, the profile, and the office's user administration."""
from __future__ import annotations

from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from ..forms import Form
from ..forms import choices as _choices
from .models import ROLE_LABELS

MIN_PASSWORD = 10


class LoginForm(Form):
    """E-mail and password."""

    email = EmailField("Thư điện tử", validators=[DataRequired("Nhập thư điện tử."), Length(max=254)])
    password = PasswordField("Mật khẩu", validators=[DataRequired("Nhập mật khẩu."), Length(max=200)])
    next = HiddenField()


class PasswordForm(Form):
    """Change one's own password."""

    current = PasswordField("Mật khẩu hiện tại", validators=[DataRequired(), Length(max=200)])
    new = PasswordField("Mật khẩu mới", validators=[
        DataRequired(), Length(MIN_PASSWORD, 200, f"Mật khẩu mới cần ít nhất {MIN_PASSWORD} ký tự.")])
    confirm = PasswordField("Nhập lại", validators=[EqualTo("new", "Hai lần nhập không khớp.")])
    revoke_tokens = BooleanField("Thu hồi mọi token API của tôi (nếu mật khẩu có thể đã lộ)")


class TokenForm(Form):
    """Name a new API token."""

    name = StringField("Tên token (vd: phần mềm báo cáo)", validators=[Optional(), Length(max=100)])


class UserForm(Form):
    """The office creates or edits an account."""

    email = EmailField("Thư điện tử", validators=[DataRequired(), Email("Thư điện tử không hợp lệ."), Length(max=254)])
    name = StringField("Họ tên", validators=[Optional(), Length(max=200)])
    agency = StringField("Cơ quan (tên hoặc tên viết tắt)", validators=[DataRequired(), Length(max=200)])
    role = SelectField("Vai trò", choices=_choices("", ROLE_LABELS)[1:])
    password = PasswordField("Mật khẩu (để trống: giữ nguyên)", validators=[
        Optional(), Length(MIN_PASSWORD, 200, f"Mật khẩu cần ít nhất {MIN_PASSWORD} ký tự.")])
    active = BooleanField("Đang hoạt động", default=True)
