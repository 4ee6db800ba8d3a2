"""The API as declared: the OpenAPI document is valid, covers every /api/ route, and the suite's responses obey it;
the reference page renders it from vendored files."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Response
from openapi_spec_validator import validate

from openapi_check import check
from tracker.api.spec import build_document

ROOT = Path(__file__).parents[1]


@pytest.fixture
def document(app):
    with app.test_request_context("/api/v1/openapi.json"):
        return build_document(app)


def test_the_document_is_valid_openapi_3_1(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.is_json
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_every_api_route_and_method_is_in_the_document(app, document):
    declared = {(path, method.upper()) for path, methods in document["paths"].items() for method in methods}
    routes = {(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method) for rule in app.url_map.iter_rules()
              if rule.endpoint.startswith("api.") for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == declared


def test_every_operation_says_what_it_answers(document):
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            shown = f"{method.upper()} {path}"
            assert op["summary"] and op.get("description"), f"{shown}: no summary or description"
            statuses = set(op["responses"])
            assert any(s.startswith("2") for s in statuses), f"{shown}: no success answer"
            assert {"500", "503"} <= statuses, shown
            if op.get("security") != []:
                assert {"401", "429"} <= statuses, f"{shown}: needs a token, yet 401/429 undocumented"
            if "requestBody" in op:
                assert {"400", "413"} <= statuses, f"{shown}: takes a body, yet 400/413 undocumented"
            if "{" in path:
                assert "404" in statuses, f"{shown}: names a thing, yet 404 undocumented"
            if method in ("post", "put", "patch", "delete") and op.get("security") != []:
                assert "403" in statuses, f"{shown}: a change, yet 403 undocumented"


def test_request_bodies_come_from_the_forms_with_their_limits(document):
    update = document["paths"]["/api/v1/tasks/{code}/updates"]["post"]["requestBody"]["content"]["application/json"]
    schema = update["schema"]
    assert set(schema["required"]) >= {"agency", "status", "progress", "version"}
    assert schema["properties"]["status"]["enum"] == ["not_started", "in_progress", "paused", "done"]
    assert schema["properties"]["progress"] == {"type": "integer", "minimum": 0, "maximum": 100, "title": "Tiến độ (%)"}
    assert "example" in update


def test_the_security_scheme_is_a_bearer_token(document):
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": "A personal token from the profile page."}
    assert document["security"] == [{"bearer": []}]


def test_the_check_catches_an_answer_outside_the_document(app):
    with app.test_request_context("/api/v1/lines/1"):
        from flask import request
        wrong = Response('{"id": "one"}', status=200, mimetype="application/json")
        with pytest.raises(AssertionError, match="outside the OpenAPI document"):
            check(app, request, wrong)
        undocumented = Response('{"type": "x", "title": "x", "status": 418, "detail": "x"}', status=418,
                                mimetype="application/problem+json")
        with pytest.raises(AssertionError, match="418"):
            check(app, request, undocumented)


def test_a_bad_type_gets_a_field_message_before_anything_changes(seeded, client):
    from helpers import issue_token
    token = issue_token(seeded, "khdt@test.vn")
    body = {"agency": "Sở KH&ĐT", "status": "in_progress", "progress": "30", "version": 1}
    response = client.post("/api/v1/tasks/II.1/updates", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400
    assert response.get_json()["errors"] == {"progress": ["Phải là số nguyên."]}


def test_the_reference_page_uses_only_vendored_files(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    scripts = re.findall(r'src="([^"]+)"', page)
    assert scripts == ["/static/vendor/redoc/redoc.standalone.js"]
    assert (ROOT / "static/vendor/redoc/redoc.standalone.js").stat().st_size > 500_000
    assert 'spec-url="/api/v1/openapi.json"' in page
    assert "http://" not in page and "https://" not in page
    assert "worker-src 'self' blob:" in response.headers["Content-Security-Policy"]
    served = client.get("/static/vendor/redoc/redoc.standalone.js")
    served.close()
    assert served.status_code == 200
