"""Commands: map agency aliases (seeding and importing cross domains: see tracker/commands.py)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..extensions import db
from .services import AgencyFileError, add_alias, find_agency


@click.group("agency")
def agency_group() -> None:
    """Manage agencies and the names they go by."""


@agency_group.command("add-alias")
@click.argument("alias")
@click.argument("agency")
@with_appcontext
def add_alias_command(alias: str, agency: str) -> None:
    """Make ALIAS another name of AGENCY (a name or alias already known)."""
    target = find_agency(agency)
    if target is None:
        raise click.ClickException(f"Không có cơ quan «{agency}».")
    try:
        created = add_alias(target, alias)
        db.session.commit()
    except AgencyFileError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    click.echo(f"«{alias}» → «{target.name}»" + ("" if created else " (đã có)"))


def init_app(app) -> None:
    """Register the plan's commands."""
    for command in (agency_group,):
        app.cli.add_command(command)
