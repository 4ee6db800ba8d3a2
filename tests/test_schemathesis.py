"""Schemathesis against the running app, as the office and as an officer: it generates requests from the OpenAPI
document (valid ones, and invalid ones that must be refused) and fails on a server error, an answer outside the
document, or invalid input accepted. It runs on both databases in CI, like the rest of the suite."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import another_app
from helpers import issue_token, serving

CHECKS = ",".join(["not_a_server_error", "status_code_conformance", "content_type_conformance",
                   "response_headers_conformance", "response_schema_conformance", "negative_data_rejection"])
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
EXAMPLES = os.environ.get("TRACKER_SCHEMATHESIS_EXAMPLES", "15")


@pytest.fixture
def served(seeded):
    """The seeded app over HTTP, its rate limits off (the run sends thousands of requests on purpose)."""
    app = another_app(seeded, RATELIMIT_ENABLED=False)
    with serving(app) as base:
        yield app, base


@pytest.mark.parametrize("email", ["vpdp@test.vn", "khdt@test.vn"], ids=["office", "officer"])
def test_schemathesis_finds_nothing(served, email, tmp_path, travel):
    if not SCHEMATHESIS.exists():
        pytest.fail("schemathesis is a test dependency (requirements/test.txt)")
    app, base = served
    token = issue_token(app, email)

    def run(*selection: str) -> None:
        result = subprocess.run(
            [str(SCHEMATHESIS), "--no-color", "run", f"{base}/api/v1/openapi.json", "--url", base,
             "-H", f"Authorization: Bearer {token}", "--checks", CHECKS, "--max-examples", EXAMPLES,
             "--seed", "2021", "--generation-deterministic", "--workers", "1", "--request-timeout", "60",
             "--report", "junit", "--report-dir", str(tmp_path), *selection],
            capture_output=True, text=True, timeout=1800, env={**os.environ, "SCHEMATHESIS_HOOKS": ""})
        summary = result.stdout[-6000:]
        assert result.returncode == 0, f"schemathesis as {email}:\n{summary}\n{result.stderr[-2000:]}"

    # Revoking a token and changing an account may end the run's own identity (its token, its account):
    # every other operation first, then those two, when what follows may rightly be a 401.
    ending = ("--include-operation-id", "delete_token_delete", "--include-operation-id", "put_user_put")
    run(*(arg.replace("include", "exclude") for arg in ending))
    # The run acted as its user throughout: its token was not revoked, its account not closed on the way.
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    run(*ending)
