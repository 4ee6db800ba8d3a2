"""One door for every change: operations are registered per domain, tested without HTTP, and a request commits
in one place only (tracker.operations.perform)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import tracker
from tracker.operations import REGISTRY, Conflict, Invalid, NotAllowed, perform

PACKAGE = Path(tracker.__file__).parent
# Modules that run outside a web request, each committing its own unit of work: the scheduler's jobs and its
# lease, the outbox's sender, the document reader, and the command line.
OUTSIDE_REQUESTS = {"reminders/jobs.py", "reminders/leadership.py", "reminders/outbox.py", "documents/reading.py",
                    "commands.py", "operations.py"}


def commits(path: Path) -> list[str]:
    """Where a module calls .commit()."""
    source = path.read_text(encoding="utf-8")
    return [f"{path.relative_to(PACKAGE)}:{node.lineno}" for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit"]


def test_the_check_finds_a_commit(tmp_path):
    sample = PACKAGE / "operations.py"
    assert commits(sample), "perform commits: the check must see it"


def test_only_perform_commits_in_a_request():
    found = [hit for path in sorted(PACKAGE.rglob("*.py"))
             if str(path.relative_to(PACKAGE)) not in OUTSIDE_REQUESTS and not path.name.startswith("cli")
             for hit in commits(path)]
    assert not found, "commit through tracker.operations.perform:\n" + "\n".join(found)


def test_perform_commits_once_and_rolls_back_a_refusal(seeded):
    from tracker.auth.models import User
    from tracker.extensions import db
    from tracker.plan.models import Task
    from tracker.progress import operations as ops
    import sqlalchemy as sa

    with seeded.app_context():
        officer = db.session.scalar(sa.select(User).where(User.email == "taichinh@test.vn"))
        office = db.session.scalar(sa.select(User).where(User.email == "vpdp@test.vn"))
        task = db.session.scalar(sa.select(Task).where(Task.code == "II.1"))
        with pytest.raises(NotAllowed):
            perform(ops.move_deadline, officer, task, task.due_on, "lùi hạn")
        with pytest.raises(Invalid) as refused:
            perform(ops.comment, office, task, "   ")
        assert refused.value.errors == {"body": ["Nhập nội dung ý kiến."]}
        perform(ops.comment, office, task, "Đề nghị báo cáo tiến độ.")
        db.session.expire_all()
        from tracker.progress.models import Comment
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment).where(Comment.task_id == task.id)) == 1


def test_a_stale_line_is_a_conflict_carrying_the_newer_line(seeded):
    from datetime import date

    import sqlalchemy as sa
    from tracker.auth.models import User
    from tracker.extensions import db
    from tracker.progress import operations as ops
    from tracker.progress.models import StatusLine
    from tracker.progress.services import LineChange

    with seeded.app_context():
        officer = db.session.scalar(sa.select(User).where(User.email == "khdt@test.vn"))
        line = db.session.scalar(sa.select(StatusLine).where(StatusLine.agency_id == officer.agency_id))
        change = LineChange("in_progress", 20, "")
        perform(ops.update_line, officer, line, change, line.version, date(2021, 3, 1))
        with pytest.raises(Conflict) as stale:
            perform(ops.update_line, officer, line, LineChange("in_progress", 30, ""), 1, date(2021, 3, 1))
        assert stale.value.current is line


def test_every_operation_is_named_by_its_domain_and_documented():
    import tracker.models  # noqa: F401  (every domain imported)
    from tracker import create_app
    create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite://"})
    assert len(REGISTRY) >= 7
    for name, op in REGISTRY.items():
        domain = name.split(".")[0]
        assert op.__module__ == f"tracker.{domain}.operations", name
        assert (op.__doc__ or "").strip(), f"{name} has no docstring"
