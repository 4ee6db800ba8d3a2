"""Commands for the stored files: sweep the orphans, move a folder's files into a bucket."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..extensions import db
from .services import migrate_files, sweep_orphans
from .storage import StorageUnavailable, local_folder, parse_files_url, storage


@click.group("files")
def files_group() -> None:
    """Look after the stored files."""


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


@files_group.command("migrate")
@with_appcontext
def migrate_command() -> None:
    """Copy the files of the local upload folder into the bucket of TRACKER_FILES_URL, verifying each by SHA-256.

    Safe to run again (a file already there with the right bytes is skipped) and while the app serves; the local
    folder is left as it was, to delete once the app runs on the bucket."""
    from flask import current_app

    if parse_files_url(current_app.config.get("FILES_URL"))[0] != "s3":
        raise click.ClickException("TRACKER_FILES_URL chưa chỉ tới một bucket (s3://bucket/prefix): không có nơi để chép tệp tới.")
    source = local_folder()
    click.echo(f"Chép tệp từ {source.root} vào {current_app.config['FILES_URL']} …")
    try:
        result = migrate_files(source, storage())
    except StorageUnavailable as exc:
        db.session.commit()  # checksums already recorded stay; running the command again picks up the rest
        raise click.ClickException(f"Kho lưu trữ không phản hồi: {exc}. Chạy lại lệnh khi kho hoạt động.") from None
    db.session.commit()
    click.echo(f"Đã chép và kiểm tra {result.copied} tệp; {result.present} tệp đã có sẵn, đúng nội dung.")
    if result.checksums_recorded:
        click.echo(f"Đã ghi mã kiểm tra SHA-256 cho {result.checksums_recorded} tệp đính kèm cũ.")
    if result.unreferenced:
        click.echo(f"Bỏ qua {result.unreferenced} tệp trong thư mục không thuộc bản ghi nào (xem `flask files sweep`).")
    problems = [("hỏng (khác bản đã tải lên)", result.damaged), ("không có ở cả hai nơi", result.missing),
                ("chép sang nhưng đọc lại không khớp", result.failed)]
    for label, names in problems:
        if names:
            click.echo(f"{len(names)} tệp {label}:", err=True)
            for name in names:
                click.echo(f"  - {name}", err=True)
    if any(names for _, names in problems):
        raise SystemExit(1)


def init_app(app) -> None:
    """Register the commands."""
    app.cli.add_command(files_group)
