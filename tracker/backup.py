"""Backups: a consistent copy of the database taken while the app runs, with the uploaded files.

Copying an SQLite file with `cp` while the app writes misses what is still in its write-ahead log;
SQLite's online backup API copies the database as one transaction sees it, WAL included. On
PostgreSQL the copy is `pg_dump` in its custom format.
"""
from __future__ import annotations

import json
import sqlite3
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

from .extensions import db
from .files.storage import storage

SQLITE_NAME, PG_NAME, MANIFEST = "tracker.sqlite", "tracker.dump", "manifest.json"


def make_backup(destination: Path) -> dict:
    """Write the database and the uploads into a new folder; returns what the manifest says."""
    destination.mkdir(parents=True, exist_ok=False)
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        raw = db.engine.raw_connection()
        try:
            with sqlite3.connect(destination / SQLITE_NAME) as target:
                raw.driver_connection.backup(target)
        finally:
            raw.close()
        database = SQLITE_NAME
    elif url.get_backend_name() == "postgresql":
        subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={destination / PG_NAME}",
                        url.set(drivername="postgresql").render_as_string(hide_password=False)], check=True)
        database = PG_NAME
    else:
        raise click.ClickException(f"Không sao lưu được cơ sở dữ liệu {url.get_backend_name()}.")
    files = storage().copy_to(destination / "uploads")
    manifest = {"made_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "database": database,
                "files": files}
    (destination / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return manifest


def restore_backup(source: Path) -> dict:
    """Put a backup back in place of the current database and uploads (the app must be stopped)."""
    manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    db.engine.dispose()
    if manifest["database"] == SQLITE_NAME and url.get_backend_name() == "sqlite":
        target = Path(url.database)
        with sqlite3.connect(source / SQLITE_NAME) as backup, sqlite3.connect(target) as live:
            backup.backup(live)  # through SQLite, so the live file's WAL cannot outlive the restore
    elif manifest["database"] == PG_NAME and url.get_backend_name() == "postgresql":
        subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner",
                        f"--dbname={url.set(drivername='postgresql').render_as_string(hide_password=False)}",
                        str(source / PG_NAME)], check=True)
    else:
        raise click.ClickException("Bản sao lưu không cùng loại cơ sở dữ liệu với cấu hình hiện tại.")
    storage().replace_from(source / "uploads")
    return manifest


@click.command("backup")
@click.argument("destination", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup_command(destination: Path) -> None:
    """Copy the database (consistently, while the app runs) and the uploaded files into DESTINATION."""
    if destination.exists():
        raise click.ClickException(f"{destination} đã có; chọn một thư mục mới.")
    manifest = make_backup(destination)
    click.echo(f"Đã sao lưu vào {destination}: {manifest['database']} và {manifest['files']} tệp đính kèm.")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(source: Path, yes: bool) -> None:
    """Replace the database and the uploaded files with a backup (stop the web server and scheduler first)."""
    if not yes:
        click.confirm("Thay toàn bộ dữ liệu hiện tại bằng bản sao lưu này?", abort=True)
    manifest = restore_backup(source)
    click.echo(f"Đã khôi phục bản sao lưu lúc {manifest['made_at']}.")


def init_app(app) -> None:
    """Register the commands."""
    for command in (backup_command, restore_command):
        app.cli.add_command(command)
