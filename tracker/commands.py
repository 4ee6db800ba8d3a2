"""Commands that cross domains: seed the demo plan and import an appendix.

They live above the domains (tracker.plan, tracker.progress, tracker.reporting) and call each in
turn, so no domain imports one above it: the plan is imported, each task's lines are made, the
year's reporting rounds are created, and the database re-measures its tables.
"""
from __future__ import annotations

import sys
import tomllib
from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from .clock import local_today
from . import audit
from .extensions import db
from .maintenance import refresh_statistics
from .plan.appendix import AppendixError, parse_appendix, read_rows
from .documents.services import import_plan
from .plan.services import AgencyFileError, PlanInfo, alias_map, current_plan, load_agencies
from .indicators.seeds import load_indicators, read_targets


def seeds_dir() -> Path:
    """Where the seed files live: SEEDS_DIR, or seeds/ beside the package."""
    return Path(current_app.config.get("SEEDS_DIR") or Path(current_app.root_path).parent / "seeds")


def _plan_info(meta: dict, year: int) -> PlanInfo:
    source_year = int(meta["year"])
    title = meta["title"]
    if year != source_year:
        # The demo loads the 2021 appendix as this year's plan: say so in the title.
        title = title.replace(str(source_year), str(year))
    issued = meta.get("issued_on") or None
    return PlanInfo(year=year, title=title, number=meta.get("number", ""), issuer=meta.get("issuer", ""),
                    issued_on=date.fromisoformat(issued) if issued else None, note=meta.get("note", ""))


def _report(appendix) -> None:
    click.echo(f"Tệp có {len(appendix.problems)} lỗi; không thay đổi gì:", err=True)
    for problem in appendix.problems:
        click.echo(f"  - {problem}", err=True)
    if appendix.unknown_agencies:
        click.echo("Cơ quan chưa nhận ra (VPĐP cần ánh xạ vào cơ quan đã có, hoặc thêm vào seeds/agencies.csv):",
                   err=True)
        for name, rows in sorted(appendix.unknown_agencies.items()):
            click.echo(f"  - «{name}» (dòng {', '.join(map(str, rows))})", err=True)
        click.echo('  Ví dụ: flask --app wsgi agency add-alias "TÊN TRONG TỆP" "TÊN CƠ QUAN ĐÃ CÓ"', err=True)


def run_import(path: Path, info: PlanInfo) -> None:
    """Validate the file, then import it in one transaction, or report every bad row and change nothing."""
    try:
        appendix = parse_appendix(read_rows(path), alias_map())
    except AppendixError as exc:
        raise click.ClickException(str(exc)) from exc
    if not appendix.ok:
        _report(appendix)
        sys.exit(1)
    try:
        # The one import a reviewed document also goes through: tasks, each body's line, the year's rounds,
        # links to last year's items.
        # The administrative record notes it (from the server's shell: no person, no address), changed or not.
        with audit.watching("plan.import_appendix", summary=f"{path.name} → {info.year}", always=True):
            result = import_plan(appendix, info, local_today())
        summary = result.summary
        db.session.commit()
        refresh_statistics()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    click.echo(f"Kế hoạch năm {info.year}: {len(appendix.sections)} mục, {len(appendix.items)} công việc "
               f"({len(summary.created)} mới, {len(summary.updated)} cập nhật, "
               f"{len(summary.unchanged)} không đổi).")
    if result.linked:
        click.echo(f"Nối {len(result.linked)} công việc với công việc cùng tên của năm {info.year - 1}.")
    if summary.not_in_file:
        click.echo(f"Giữ nguyên các công việc không có trong tệp: {', '.join(summary.not_in_file)}")


@click.command("seed")
@click.option("--year", type=click.IntRange(2000, 2100), help="Load the appendix as this year's plan.")
@with_appcontext
def seed_command(year: int | None) -> None:
    """Load the agencies, the 2021 appendix and its numbers from seeds/ (idempotent)."""
    folder = seeds_dir()
    meta = tomllib.loads((folder / "plan-2021.toml").read_text(encoding="utf-8"))
    try:
        count = load_agencies(folder / "agencies.csv")
        db.session.commit()
    except AgencyFileError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{count} cơ quan và nhóm cơ quan.")
    info = _plan_info(meta, year or int(meta["year"]))
    run_import(folder / meta["appendix"], info)
    count = load_indicators(current_plan(info.year), read_targets(folder / "targets-2021.toml"))
    db.session.commit()
    click.echo(f"{count} chỉ tiêu của kế hoạch (seeds/targets-2021.toml).")


@click.command("import-appendix")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--year", type=click.IntRange(2000, 2100), required=True, help="The plan's year.")
@click.option("--title", help="The plan's title (default: kept, or a generic one).")
@click.option("--number", default="", help="The plan's document number, such as 12/KH-UBND.")
@click.option("--issued-on", type=click.DateTime(["%Y-%m-%d", "%d/%m/%Y"]), help="Date of issue.")
@with_appcontext
def import_command(file: Path, year: int, title: str | None, number: str, issued_on) -> None:
    """Import an appendix (CSV or XLSX) as the plan of a year: all rows or none."""
    existing = current_plan(year)
    info = PlanInfo(
        year=year,
        title=title or (existing.title if existing else f"Kế hoạch xây dựng nông thôn mới năm {year}"),
        number=number or (existing.number if existing else ""),
        issuer=existing.issuer if existing else "Ủy ban nhân dân tỉnh Lạng Sơn",
        issued_on=issued_on.date() if issued_on else (existing.issued_on if existing else None),
        note=existing.note if existing else "",
    )
    run_import(file, info)


def init_app(app) -> None:
    """Register the commands that seed and import."""
    for command in (seed_command, import_command):
        app.cli.add_command(command)
