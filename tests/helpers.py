"""Helpers the tests share: finding seeded records, reading the plan table, issuing tokens."""
from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from tracker.auth.models import ApiToken, User
from tracker.extensions import db
from tracker.plan.models import Agency, Task
from tracker.progress.models import StatusLine


def codes(html: str) -> list[str]:
    """The task codes listed in the plan table, in order."""
    return re.findall(r'<td data-label="TT"><a href="[^"]+">([^<]+)</a>', html)


def task_of(code: str) -> Task:
    """The task with this code (call inside an app context)."""
    return db.session.scalar(sa.select(Task).where(Task.code == code))


def line_of(code: str, agency_name: str) -> StatusLine:
    """A body's line on a task (call inside an app context)."""
    return db.session.scalar(sa.select(StatusLine).join(StatusLine.task).join(StatusLine.agency)
                             .where(Task.code == code, Agency.name == agency_name))


def line_id(app, code: str, agency_name: str) -> int:
    """The id of a body's line on a task."""
    with app.app_context():
        return line_of(code, agency_name).id


def user_of(email: str) -> User:
    """The account with this e-mail (call inside an app context)."""
    return db.session.scalar(sa.select(User).where(User.email == email))


def issue_token(app, email: str) -> str:
    """A new API token for an account."""
    with app.app_context():
        _, secret = ApiToken.issue(user_of(email), "test")
        db.session.commit()
        return secret


def bearer(app, email: str) -> dict:
    """The Authorization header of a new API token for an account."""
    return {"Authorization": f"Bearer {issue_token(app, email)}"}


def post_line(client, code: str, lid: int, version: int = 1, **fields):
    """Post the task page's update form for a line (in progress, 30% unless told otherwise)."""
    data = {f"line{lid}-status": "in_progress", f"line{lid}-progress": "30", f"line{lid}-note": "",
            f"line{lid}-version": str(version)}
    data.update({f"line{lid}-{k}": v for k, v in fields.items()})
    return client.post(f"/tasks/{code}/lines/{lid}", data=data, content_type="multipart/form-data")


def in_each_app_at_once(apps, work: Callable[[], object], timeout: float = 60) -> list:
    """Run `work` in an app context of each app (each another worker's connections), all released at
    the same moment; returns what each returned. An exception in any of them fails the caller."""
    barrier = threading.Barrier(len(apps))
    results, errors = [], []

    def run(app):
        try:
            with app.app_context():
                barrier.wait()
                results.append(work())
        except Exception as exc:  # re-raised below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if errors:
        raise errors[0]
    return results


@contextmanager
def serving(app) -> Iterator[str]:
    """The app over real HTTP on a free port, served by a thread; its base address."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
