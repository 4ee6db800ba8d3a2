"""The migrations build exactly the schema the models describe."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from tracker import create_app
from tracker.extensions import db


def test_migrations_match_models(tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'migrated.sqlite'}"})
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
        db.engine.dispose()
    assert diff == []


def test_line_facts_migration_fills_existing_rows(tmp_path):
    """A database of the previous release keeps every row and gains its tasks' line facts and sort keys."""
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'old.sqlite'}"})
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
                    f"({task_id}, 1, 1, 'I.{task_id}', {task_id}, 'T', '', '', '', 'Quý I', 'quarter', '2021-03-31', 0, '', '')")
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
    assert facts == [(1, "2021-04-02", "2021-02-01"), (2, None, "0001-01-01"), (3, None, None)]
    assert keys["UBND huyện Bắc Sơn"] < keys["UBND huyện Đình Lập"] and lines == 4
