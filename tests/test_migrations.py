"""The migrations build exactly the schema the models describe."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from databases import fresh_database
from tracker import create_app
from tracker.extensions import bind_migrations, db


def test_migrations_match_models(tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": fresh_database(tmp_path)})
    bind_migrations(app)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
        db.engine.dispose()
    assert diff == []


def test_line_facts_migration_fills_existing_rows(tmp_path):
    """A database of the previous release keeps every row and gains its tasks' line facts and sort keys."""
    app = create_app({"TESTING": True, "DATABASE_URL": fresh_database(tmp_path)})
    bind_migrations(app)
    with app.app_context():
        upgrade(revision="1f4ce28b978a")
        with db.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO agency (id, name, name_folded, level, note) VALUES "
                                 "(1, 'UBND huyện Đình Lập', 'ubnd huyen dinh lap', 'district', ''), "
                                 "(2, 'UBND huyện Bắc Sơn', 'ubnd huyen bac son', 'district', '')")
            conn.exec_driver_sql("INSERT INTO plan (id, year, title, number, issuer, note) "
                                 "VALUES (1, 2021, 'KH', '', '', '')")
            conn.exec_driver_sql("INSERT INTO section (id, plan_id, numeral, title, position) VALUES (1, 1, 'I', 'M', 1)")
            for task_id in (1, 2, 3):
                conn.exec_driver_sql(
                    "INSERT INTO task (id, plan_id, section_id, code, position, title, lead_text, executing_text, "
                    "coordinating_text, timeline, schedule_kind, due_on, needs_date, flag_note, search_text) VALUES "
                    f"({task_id}, 1, 1, 'I.{task_id}', {task_id}, 'T', '', '', '', 'Quý I', 'quarter', '2021-03-31', false, '', '')")
            conn.exec_driver_sql(
                "INSERT INTO status_line (task_id, agency_id, status, progress, paused_reason, note, started_on, "
                "completed_on, version) VALUES "
                "(1, 1, 'done', 100, '', '', '2021-02-01', '2021-03-20', 2), "
                "(1, 2, 'done', 100, '', '', '2021-03-01', '2021-04-02', 2), "
                "(2, 1, 'done', 100, '', '', '2021-02-10', '2021-03-01', 2), "
                "(2, 2, 'in_progress', 40, '', '', NULL, NULL, 2)")
        upgrade()
        with db.engine.connect() as conn:
            facts = conn.exec_driver_sql("SELECT id, lines_done_on, lines_started_on FROM task ORDER BY id").all()
            keys = dict(conn.exec_driver_sql("SELECT name, sort_key FROM agency").all())
            lines = conn.exec_driver_sql("SELECT count(*) FROM status_line").scalar()
        db.engine.dispose()
    facts = [tuple(None if v is None else str(v) for v in row) for row in facts]  # dates on PostgreSQL, text on SQLite
    assert facts == [("1", "2021-04-02", "2021-02-01"), ("2", None, "0001-01-01"), ("3", None, None)]
    assert keys["UBND huyện Bắc Sơn"] < keys["UBND huyện Đình Lập"] and lines == 4


def test_a_database_of_the_previous_release_upgrades_without_losing_a_row(seeded, client, auth, mail_server):
    """The seeded plan with real activity in every table, taken back to the last release's schema
    (today's main before these migrations) and brought forward again: every row survives, the history
    reads the same, and the new constraints hold."""
    import io
    from datetime import date

    import sqlalchemy as sa
    from flask_migrate import downgrade, stamp

    from tracker.progress.models import StatusLine, TaskEvent
    from tracker.reminders.outbox import deliver_outbox
    from tracker.reminders.sweep import run_sweep
    from tracker.clock import utcnow

    auth.login("khdt@test.vn")
    bind_migrations(seeded)
    with seeded.app_context():
        line = db.session.scalar(sa.select(StatusLine).join(StatusLine.agency).join(StatusLine.task)
                                 .where(StatusLine.task.has(code="II.1"), StatusLine.agency.has(name="Sở Kế hoạch và Đầu tư")))
        line_id = line.id
    client.post(f"/tasks/II.1/lines/{line_id}", content_type="multipart/form-data", data={
        f"line{line_id}-status": "done", f"line{line_id}-progress": "100", f"line{line_id}-completed_on": "2021-03-20",
        f"line{line_id}-version": "1", f"line{line_id}-note": "Đã trình",
        f"line{line_id}-attachments": (io.BytesIO(b"%PDF-1.4 test"), "Tờ trình.pdf")})
    client.post("/tasks/II.1/comments", data={"body": "Đã gửi Sở Tài chính"})
    with seeded.app_context():
        run_sweep(date(2021, 3, 24))
        db.session.commit()
        deliver_outbox(utcnow())
        # Sign-in counters, the change log and the scheduler's lease and slots are disposable, and they and
        # the plan's numbers are newer than that release: its schema has no table for them.
        newer = ("rate_limit", "data_change", "job_run", "scheduler_lease", "indicator", "indicator_task",
                 "indicator_entry", "commune", "commune_criterion", "letterhead_settings", "plan_document", "proposed_row",
                 "security_settings", "access_request", "audit_event", "recovery_code", "sweep_state")
        tables = [t.name for t in db.metadata.sorted_tables if t.name not in newer]
        before = {t: db.session.scalar(sa.text(f'SELECT count(*) FROM "{t}"')) for t in tables}
        history = [(e.kind, e.before_value, e.after_value) for e in db.session.scalars(sa.select(TaskEvent).order_by(TaskEvent.id))]
        assert all(before[t] > 0 for t in ("task_event", "attachment", "comment", "sent_reminder", "outbox_message"))
        db.session.remove()  # an open read would hold locks that PostgreSQL's ALTER TABLE waits for

        stamp()  # the seeded copy was made by create_all, which the migrations match (test above)
        downgrade(revision="1f4ce28b978a")
        with db.engine.connect() as conn:
            assert {t: conn.scalar(sa.text(f'SELECT count(*) FROM "{t}"')) for t in tables} == before
        upgrade()
        db.session.remove()
        with db.engine.connect() as conn:
            assert {t: conn.scalar(sa.text(f'SELECT count(*) FROM "{t}"')) for t in tables} == before
            facts = conn.execute(sa.text("SELECT lines_done_on FROM task WHERE code = 'II.1'")).scalar()
        assert [(e.kind, e.before_value, e.after_value)
                for e in db.session.scalars(sa.select(TaskEvent).order_by(TaskEvent.id))] == history
        assert facts is None  # two of II.1's three bodies have not finished
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
            conn.execute(sa.text(f"UPDATE status_line SET progress = 140 WHERE id = {line_id}"))
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
            conn.execute(sa.text(f"UPDATE status_line SET status = 'finished' WHERE id = {line_id}"))
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE attachment SET task_id = NULL"))
        db.engine.dispose()


def test_health_check_reads_the_same_head_as_alembic(app):
    """/healthz finds the newest migration without importing Alembic; it must be the head Alembic upgrades to."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from tracker.extensions import migrations_directory
    from tracker.health import _head_revision

    config = Config()
    config.set_main_option("script_location", migrations_directory(app))
    assert _head_revision(migrations_directory(app)) == ScriptDirectory.from_config(config).get_current_head()
