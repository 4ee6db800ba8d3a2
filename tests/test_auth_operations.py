"""The accounts' operations without HTTP: who may, what each refuses with which field's message, what it changes."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from conftest import PASSWORD
from helpers import user_of
from tracker.auth import operations as ops
from tracker.auth.invitations import invitation_token
from tracker.auth.models import ApiToken, User, hash_token
from tracker.extensions import db
from tracker.operations import Conflict, Invalid, NotAllowed, NotFound, perform
from tracker.reminders.models import OutboxMessage

NEW = "mat-khau-moi-dai"


def outbox_to(email: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.to_address == email))


def test_sign_in_answers_the_account_or_one_message_then_throttles(seeded):
    with seeded.test_request_context():
        assert perform(ops.sign_in, "KHDT@test.vn", PASSWORD, "10.0.0.1").email == "khdt@test.vn"
        for _n in range(5):
            with pytest.raises(Invalid) as wrong:
                perform(ops.sign_in, "khdt@test.vn", "sai", "10.0.0.1")
            assert wrong.value.errors == {"password": ["Thư điện tử hoặc mật khẩu không đúng."]}
        with pytest.raises(Invalid) as unknown:
            perform(ops.sign_in, "khong-co@test.vn", "sai", "10.0.0.9")
        assert unknown.value.errors == wrong.value.errors  # an unknown account reads the same
        with pytest.raises(ops.Throttled) as throttled:
            perform(ops.sign_in, "khdt@test.vn", PASSWORD, "10.0.0.1")  # even the right password
        assert throttled.value.status == 429 and throttled.value.retry_at
        assert throttled.value.message.startswith("Đã thử đăng nhập sai quá nhiều lần. Vui lòng thử lại sau ")


def test_sign_out_ends_every_session(seeded):
    with seeded.app_context():
        user = user_of("khdt@test.vn")
        before = user.session_version
        perform(ops.sign_out, user)
        db.session.expire_all()
        assert user_of("khdt@test.vn").session_version == before + 1


def test_change_password_needs_the_current_one_and_may_revoke_tokens(seeded):
    with seeded.app_context():
        user = user_of("khdt@test.vn")
        ApiToken.issue(user, "a")
        ApiToken.issue(user, "b")
        db.session.commit()
        with pytest.raises(Invalid) as wrong:
            perform(ops.change_password, user, "sai", NEW, True)
        assert wrong.value.errors == {"current": ["Mật khẩu hiện tại không đúng."]}
        with pytest.raises(Invalid) as short:
            perform(ops.change_password, user, PASSWORD, "ngan", False)
        assert list(short.value.errors) == ["new"]
        assert all(t.revoked_at is None for t in user_of("khdt@test.vn").tokens)
        assert perform(ops.change_password, user, PASSWORD, NEW, True) == 2
        db.session.expire_all()
        user = user_of("khdt@test.vn")
        assert user.check_password(NEW) and all(t.revoked_at is not None for t in user.tokens)


def test_tokens_are_ones_own(seeded):
    with seeded.app_context():
        own, other = user_of("khdt@test.vn"), user_of("noivu@test.vn")
        token, secret = perform(ops.create_token, own, "  phần mềm  ")
        assert secret.startswith("trk_") and token.name == "phần mềm" and token.token_hash == hash_token(secret)
        with pytest.raises(NotFound):
            perform(ops.revoke_token, other, token.id)
        assert db.session.get(ApiToken, token.id).revoked_at is None
        with pytest.raises(NotFound):
            perform(ops.revoke_token, own, 999999)
        assert perform(ops.revoke_token, own, token.id).revoked_at is not None
        assert perform(ops.revoke_token, own, token.id).revoked_at is not None  # again: nothing more to do


def test_calendar_address_is_made_and_revoked(seeded):
    with seeded.app_context():
        user = user_of("lanhdao@test.vn")
        assert perform(ops.revoke_calendar, user) is False
        secret = perform(ops.create_calendar, user)
        assert user_of("lanhdao@test.vn").calendar_token_hash == hash_token(secret)
        assert perform(ops.revoke_calendar, user) is True
        assert user_of("lanhdao@test.vn").calendar_token_hash is None


def test_a_locked_account_changes_nothing_of_its_own(seeded):
    with seeded.app_context():
        user = user_of("khdt@test.vn")
        user.active = False
        db.session.commit()
        for op, args in ((ops.create_token, ("x",)), (ops.create_calendar, ()), (ops.set_language, ("en",)),
                         (ops.sign_out, ())):
            with pytest.raises(NotAllowed):
                perform(op, user, *args)


def test_language_is_one_the_app_speaks(seeded):
    with seeded.app_context():
        user = user_of("khdt@test.vn")
        with pytest.raises(Invalid) as refused:
            perform(ops.set_language, user, "fr")
        assert refused.value.errors == {"language": ["Ngôn ngữ không có trong hệ thống."]}
        assert perform(ops.set_language, user, "en") is True
        assert perform(ops.set_language, user, "en") is False
        assert user_of("khdt@test.vn").language == "en"


ACCOUNT = {"email": "Moi@Test.vn", "agency": "Sở Y tế", "role": "officer", "name": "Nguyễn Thị Hoa", "active": True}


def test_only_the_office_creates_accounts(seeded):
    with seeded.test_request_context():
        for email in ("khdt@test.vn", "lanhdao@test.vn"):
            with pytest.raises(NotAllowed):
                perform(ops.create_user, user_of(email), **ACCOUNT, password="mat-khau-dai-du")
        assert user_of("moi@test.vn") is None


@pytest.mark.parametrize("change, field, message", [
    ({"agency": "Không có cơ quan"}, "agency", "Không có cơ quan «Không có cơ quan»."),
    ({"email": "khdt@test.vn"}, "email", "Đã có tài khoản khdt@test.vn."),
    ({"role": "admin"}, "role", "Vai trò phải là một trong: office, officer, leader."),
    ({"active": False}, "password", "Tài khoản tạo ở trạng thái khóa cần mật khẩu; hoặc chọn «Đang hoạt động» để "
                                    "gửi thư mời."),
])
def test_a_bad_account_is_refused_by_field(seeded, change, field, message):
    with seeded.test_request_context():
        with pytest.raises(Invalid) as refused:
            perform(ops.create_user, user_of("vpdp@test.vn"), **{**ACCOUNT, **change})
        assert refused.value.errors == {field: [message]}
        assert user_of("moi@test.vn") is None and outbox_to("moi@test.vn") == 0


def test_an_account_without_a_password_is_created_with_its_invitation(seeded):
    with seeded.test_request_context():
        user = perform(ops.create_user, user_of("vpdp@test.vn"), **ACCOUNT)
        assert (user.email, user.agency.name, user.role, user.active) == ("moi@test.vn", "Sở Y tế", "officer", True)
        assert outbox_to("moi@test.vn") == 1  # queued with the account, in the same commit
        perform(ops.create_user, user_of("vpdp@test.vn"), **{**ACCOUNT, "email": "hai@test.vn"},
                password="mat-khau-dai-du")
        assert user_of("hai@test.vn").check_password("mat-khau-dai-du") and outbox_to("hai@test.vn") == 0


def test_the_office_edits_an_account_but_not_its_own_rights(seeded):
    with seeded.test_request_context():
        office, target = user_of("vpdp@test.vn"), user_of("taichinh@test.vn")
        fields = {"email": "taichinh@test.vn", "agency": "Sở Tài chính", "role": "leader", "active": True}
        with pytest.raises(NotAllowed):
            perform(ops.update_user, user_of("khdt@test.vn"), target, **fields)
        assert user_of("taichinh@test.vn").role == "officer"
        perform(ops.update_user, office, target, **fields, password="mat-khau-dai-du")
        db.session.expire_all()
        target = user_of("taichinh@test.vn")
        assert target.role == "leader" and target.check_password("mat-khau-dai-du")
        with pytest.raises(Invalid) as itself:
            perform(ops.update_user, office, office, email="vpdp@test.vn", agency="VPĐP tỉnh", role="officer",
                    active=True)
        assert itself.value.errors == {"role": ["Không thể tự bỏ quyền Văn phòng Điều phối của chính mình."]}
        assert user_of("vpdp@test.vn").role == "office"


def test_an_invitation_goes_to_an_active_account_only(seeded):
    with seeded.test_request_context():
        office, target = user_of("vpdp@test.vn"), user_of("taichinh@test.vn")
        with pytest.raises(NotAllowed):
            perform(ops.invite, user_of("khdt@test.vn"), target)
        perform(ops.invite, office, target)
        assert outbox_to("taichinh@test.vn") == 1
        target.active = False
        db.session.commit()
        with pytest.raises(Conflict) as locked:
            perform(ops.invite, office, target)
        assert "đang bị khóa" in locked.value.message and outbox_to("taichinh@test.vn") == 1


def test_an_invitation_sets_a_password_once(seeded):
    with seeded.test_request_context():
        token = invitation_token(user_of("taichinh@test.vn"))
        with pytest.raises(Invalid):
            perform(ops.accept_invitation, token, "ngan")
        user = perform(ops.accept_invitation, token, NEW)
        assert user.email == "taichinh@test.vn" and user_of("taichinh@test.vn").check_password(NEW)
        with pytest.raises(NotFound):
            perform(ops.accept_invitation, token, "mat-khau-khac-nua")  # the link died with the old password
        with pytest.raises(NotFound):
            perform(ops.accept_invitation, "x" * 600, NEW)


def test_every_accounts_operation_is_registered():
    from tracker.operations import REGISTRY

    assert {f"auth.{name}" for name in (
        "authenticate_token", "sign_in", "sign_out", "change_password", "create_token", "revoke_token",
        "create_calendar", "revoke_calendar", "set_language", "create_user", "update_user", "invite",
        "accept_invitation")} <= set(REGISTRY)
