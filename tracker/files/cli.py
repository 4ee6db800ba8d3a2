"""Commands for the upload folder."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from .services import sweep_orphans


@click.group("files")
def files_group() -> None:
    """Look after the upload folder."""


@files_group.command("sweep")
@click.option("--min-age", type=click.IntRange(0), default=3600, show_default=True,
              help="Seconds a file must have existed, so an upload still in progress is kept.")
@with_appcontext
def sweep_command(min_age: int) -> None:
    """Delete files that no attachment names (left by a worker killed mid-upload)."""
    removed = sweep_orphans(min_age)
    click.echo(f"Đã xóa {len(removed)} tệp không thuộc tệp đính kèm nào.")
    for name in removed:
        click.echo(f"  - {name}")


def init_app(app) -> None:
    """Register the commands."""
    app.cli.add_command(files_group)
