"""Commands: create-user, create-token, demo-users."""
from __future__ import annotations

import secrets

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from ..extensions import db
from .models import ROLES, ApiToken, User
from .invitations import INVITATION_HOURS, send_invitation
from .services import AccountError, create_user, normalise_email

# Accounts for the `make run` demo only; DEMO must be on for them to be created.
DEMO_USERS = [
    ("vpdp@demo.local", "VPĐP tỉnh", "office", "Cán bộ Văn phòng Điều phối"),
    ("sokhdt@demo.local", "Sở KH&ĐT", "officer", "Cán bộ Sở Kế hoạch và Đầu tư"),
    ("dinhlap@demo.local", "Đình Lập", "officer", "Cán bộ huyện Đình Lập"),
    ("lanhdao@demo.local", "UBND tỉnh", "leader", "Lãnh đạo UBND tỉnh"),
]
DEMO_PASSWORD = "demo-nongthonmoi"


@click.command("create-user")
@click.argument("email")
@click.option("--agency", required=True, help='Agency name or alias, e.g. "VPĐP tỉnh".')
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--password", help="Initial password (default: a random one, printed; see --invite).")
@click.option("--invite", is_flag=True,
              help="No password: mail the person a link to set their own (through the outbox, valid 72 hours).")
@click.option("--name", default="", help="Full name.")
@with_appcontext
def create_user_command(email, agency, role, password, invite, name):
    """Create an account that belongs to one agency."""
    if invite and password:
        raise click.ClickException("--invite và --password không dùng cùng nhau.")
    generated = password is None and not invite
    password = "" if invite else (password or secrets.token_urlsafe(12))
    try:
        user = create_user(email, agency, role, password, name)
        if invite:
            send_invitation(user)  # in the outbox; the scheduler's sender mails it
        db.session.commit()
    except AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{user.email}: {user.role_label}, {user.agency.name}")
    if generated:
        click.echo(f"Mật khẩu: {password}")
    if invite:
        click.echo(f"Thư mời đặt mật khẩu (hiệu lực {INVITATION_HOURS} giờ) đã vào hộp thư đi.")


@click.command("create-token")
@click.argument("email")
@click.option("--name", default="cli", help="A name to recognise the token by.")
@with_appcontext
def create_token_command(email, name):
    """Print a new API token for an account (shown once)."""
    user = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise click.ClickException(f"Không có tài khoản {email}.")
    _, secret = ApiToken.issue(user, name)
    db.session.commit()
    click.echo(secret)


@click.command("demo-users")
@with_appcontext
def demo_users_command():
    """Create the demo accounts of `make run` (refused unless TRACKER_DEMO is on)."""
    if not current_app.config.get("DEMO"):
        raise click.ClickException("Demo accounts exist only in the demo (TRACKER_DEMO=true).")
    click.echo("Tài khoản demo (mật khẩu: %s):" % DEMO_PASSWORD)
    for email, agency, role, name in DEMO_USERS:
        if db.session.scalar(sa.select(User.id).where(User.email == email)) is None:
            create_user(email, agency, role, DEMO_PASSWORD, name)
        click.echo(f"  {email:22} {role:8} {agency}")
    db.session.commit()


def init_app(app) -> None:
    """Register the account commands."""
    for command in (create_user_command, create_token_command, demo_users_command):
        app.cli.add_command(command)
