"""Every API response the suite sees is checked against the OpenAPI document (GET /api/v1/openapi.json).

The test client of every app the tests build is `CheckedClient`: an answer under /api/ that the document does
not describe (an undocumented status, a body or header outside its schema, another media type) fails the
test that received it. Unknown paths and methods are the only answers left out: no document can list them.
"""
from __future__ import annotations

from flask import Response
from flask.testing import FlaskClient
import json

from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound

from tracker.api.spec import build_document

_DOCUMENTS: dict[int, OpenAPI] = {}
checked = {"responses": 0}


def document_of(app) -> OpenAPI:
    """The app's OpenAPI document, built once per app."""
    if id(app) not in _DOCUMENTS:
        with app.test_request_context("/api/v1/openapi.json"):
            _DOCUMENTS[id(app)] = OpenAPI.from_dict(build_document(app), config=Config(
                extra_media_type_deserializers={"application/problem+json": json.loads}))
    return _DOCUMENTS[id(app)]


class _AnswerOnly(WerkzeugOpenAPIRequest):
    """The request as far as checking its answer needs: the body was read by the app already."""

    @property
    def body(self) -> bytes:
        return b""


class CheckedClient(FlaskClient):
    """A test client that checks each /api/ answer against the document."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        request = response.request
        if request.path.startswith("/api/") and response.status_code != 405:
            check(self.application, request, response)
        return response


def check(app, request, response) -> None:
    """Raise AssertionError naming what in the answer the document does not allow."""
    openapi = document_of(app)
    # The document's servers are "/": the request as the document sees it, on the same host.
    try:
        openapi.validate_response(_AnswerOnly(request), WerkzeugOpenAPIResponse(_readable(response)))
    except (PathNotFound, OperationNotFound):
        if response.status_code != 404 and _documented_route(app, request):
            raise AssertionError(f"{request.method} {request.path}: not in the OpenAPI document") from None
        return
    except Exception as error:  # noqa: BLE001 — openapi-core's errors name the schema path
        detail = "; ".join(str(e) for e in getattr(error, "schema_errors", []) or []) or repr(error.__cause__ or error)
        raise AssertionError(f"{request.method} {request.full_path} → {response.status_code} is outside the OpenAPI "
                             f"document: {error}: {detail}\n{response.get_data(as_text=True)[:500]}") from None
    checked["responses"] += 1


def _readable(response):
    """A JSON answer as it is; a file's answer without its bytes (reading them would leave the file open), its
    status and headers still checked."""
    if response.is_json or response.mimetype == "application/problem+json":
        return response
    return Response(b"(bytes)", status=response.status_code, headers=response.headers)


def _documented_route(app, request) -> bool:
    """Whether the request reached one of the app's own API endpoints (a test may add a route of its own)."""
    try:
        endpoint, _args = app.url_map.bind("localhost").match(request.path, request.method)
    except Exception:  # noqa: BLE001 — no route: nothing of ours answered
        return False
    return hasattr(app.view_functions.get(endpoint), "openapi")
