"""Commands for the communes: import the districts' list, or load the shipped sample."""
from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..clock import local_today
from ..extensions import db
from .services import FigureError, ImportSummary, import_file

SAMPLE = "communes-sample.csv"


@click.group("communes")
def communes_group() -> None:
    """The province's communes and the criteria each meets."""


def _run(path: Path, sample: bool) -> ImportSummary:
    try:
        summary = import_file(path, None, local_today(), sample=sample)
        db.session.commit()
    except FigureError as exc:
        db.session.rollback()
        raise click.ClickException(f"Không nhập gì:\n{exc}") from exc
    click.echo(f"{summary.communes} xã ({summary.created} xã mới), {summary.changes} thay đổi tiêu chí"
               + (f"; đã bỏ {summary.removed_sample} xã mẫu." if summary.removed_sample else "."))
    return summary


@communes_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_command(file: Path) -> None:
    """Import the communes (CSV or XLSX: Huyện, Xã, Biên giới, Ngày, TC1…TC19, Ghi chú); replaces the sample."""
    _run(file, sample=False)


@communes_group.command("sample")
@click.option("--year", type=click.IntRange(2021, 2100), default=2021, show_default=True,
              help="Move the sample's 2021 quarters to this year (for a demo plan of another year).")
@with_appcontext
def sample_command(year: int) -> None:
    """Load the clearly marked sample of 181 communes ("Xã mẫu …"): counts like the plan's, names made up."""
    from ..plan.appendix import read_rows

    table = read_rows(_seeds() / SAMPLE)
    shift, today = year - 2021, local_today()
    kept = [table[0]]
    for row in table[1:]:
        day, month, old = row[3].split("/")
        moved = f"{day}/{month}/{int(old) + shift}"
        if (int(old) + shift, int(month), int(day)) <= (today.year, today.month, today.day):
            kept.append(row[:3] + [moved] + row[4:])
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / SAMPLE
        with open(path, "w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(kept)
        _run(path, sample=True)


@click.group("indicators")
def indicators_group() -> None:
    """The plan's numbers."""


@indicators_group.command("load")
@click.option("--year", type=click.IntRange(2000, 2100), required=True, help="The plan that takes the targets.")
@with_appcontext
def load_command(year: int) -> None:
    """Load seeds/targets-2021.toml as the indicators of a year's plan (idempotent; keeps the bodies chosen)."""
    from ..plan.services import current_plan
    from .seeds import load_indicators, read_targets

    plan = current_plan(year)
    if plan is None or plan.year != year:
        raise click.ClickException(f"Chưa có kế hoạch năm {year}.")
    count = load_indicators(plan, read_targets(_seeds() / "targets-2021.toml"))
    db.session.commit()
    click.echo(f"{count} chỉ tiêu của kế hoạch năm {year}.")


def _seeds() -> Path:
    return Path(current_app.config.get("SEEDS_DIR") or Path(current_app.root_path).parent / "seeds")


def init_app(app) -> None:
    """Register the commands."""
    app.cli.add_command(communes_group)
    app.cli.add_command(indicators_group)
