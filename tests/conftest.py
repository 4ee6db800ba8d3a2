"""Fixtures in the style of Flask's tutorial: app, client, runner, plus a seeded plan."""
from __future__ import annotations

import pytest

from tracker import create_app
from tracker.extensions import db


@pytest.fixture
def app(tmp_path):
    """An app on a fresh SQLite file, schema created, nothing loaded."""
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'test.sqlite'}",
    })
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def seeded(app, runner):
    """The app with the 2021 plan loaded by the real seed command."""
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    return app
