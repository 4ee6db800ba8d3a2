"""Commands: the scheduler process and a sweep by hand."""
from __future__ import annotations

from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext

from ..clock import local_today, utcnow
from ..extensions import db
from .outbox import deliver_outbox
from .sweep import run_sweep


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the reminder scheduler in this process (Ctrl+C or SIGTERM stops it)."""
    from ..logs import configure_logging
    from .jobs import run_scheduler

    configure_logging(current_app.config)
    click.echo(f"Scheduler: zone {current_app.config['TIMEZONE']}, sweep daily at "
               f"{current_app.config['REMINDER_SWEEP_HOUR']:02d}:{current_app.config['REMINDER_SWEEP_MINUTE']:02d}, "
               f"outbox every {current_app.config['OUTBOX_INTERVAL_SECONDS']} s"
               + ("" if current_app.config.get("SMTP_HOST") else "; no SMTP: mail waits in the outbox"))
    run_scheduler(current_app._get_current_object())


@click.group("reminders")
def reminders_group() -> None:
    """Reminders by hand."""


@reminders_group.command("run")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), help="The sweep's date (default: today).")
@click.option("--dry-run", is_flag=True, help="Say what would be queued; write and send nothing.")
@with_appcontext
def run_command(as_of, dry_run: bool) -> None:
    """Run one sweep and deliver the outbox, printing what was queued and sent."""
    today: date = as_of.date() if as_of else local_today()
    result = run_sweep(today, dry_run=dry_run)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    verb = "would queue" if dry_run else "queued"
    scope = ("only what changed since the last sweep was looked at" if result.incremental
             else "everything was looked at")
    click.echo(f"{today.isoformat()}: {verb} {result.queued} reminders in {result.messages} messages "
               f"({result.already} already recorded; {scope}).")
    for rule, count in sorted(result.by_rule.items()):
        click.echo(f"  {rule}: {count}")
    for line in result.lines:
        click.echo(f"  - {line}")
    if dry_run:
        return
    delivery = deliver_outbox(utcnow(), today=today)
    if not delivery.configured:
        click.echo("No SMTP configured (TRACKER_SMTP_HOST): messages wait in the outbox (/outbox).")
        return
    click.echo(f"Sent {len(delivery.sent)}, to retry {len(delivery.retried)}, failed {len(delivery.failed)}, "
               f"cancelled {len(delivery.cancelled)}.")
    for address in delivery.sent:
        click.echo(f"  → {address}")


def init_app(app) -> None:
    """Register the reminder commands."""
    for command in (scheduler_command, reminders_group):
        app.cli.add_command(command)
