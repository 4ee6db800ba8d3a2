"""The API's OpenAPI 3.1 document, generated from what the endpoints themselves use.

Each endpoint declares itself with `@documented(...)`: its request body is the WTForms form that validates
it (the page's own form), turned here into a JSON Schema that also checks the body's types before the form
reads it (`read_json`), so the document and the validation cannot drift; its answers name schemas kept in
`SCHEMAS` beside the endpoints. The suite checks every API response it sees against the document
(tests/conftest.py) and a test fails on an /api/ route without a declaration.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import jsonschema
from flask import current_app, request
from flask_babel import gettext as _
from wtforms import Field, validators as v

from ..forms import DATE_PATTERN, json_formdata
from .errors import invalid
from .paging import page_errors

SCHEMAS: dict[str, dict] = {}
TITLE = "Tracker API"
VERSION = "1.0.0"


def component(name: str, schema: dict) -> dict:
    """Register a schema under components/schemas; returns a reference to it."""
    SCHEMAS[name] = schema
    return ref(name)


def ref(name: str) -> dict:
    """A reference to a registered schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict) -> dict:
    """The schema, or null."""
    return {"anyOf": [schema, {"type": "null"}]}


def paged(item: dict, keyset: bool = False) -> dict:
    """A page of a collection: {items, page, per_page, total} (and Link headers); with keyset, also the
    next page's cursor (`next_after`), and `page` null for a page asked for by ?after=."""
    page = {"type": "integer", "minimum": 1}
    schema = {"type": "object", "required": ["items", "page", "per_page", "total"],
              "properties": {"items": {"type": "array", "items": item}, "page": nullable(page) if keyset else page,
                             "per_page": {"type": "integer", "minimum": 1}, "total": {"type": "integer", "minimum": 0}}}
    if keyset:
        schema["required"].append("next_after")
        schema["properties"]["next_after"] = nullable({"type": "string", "pattern": "^[A-Za-z0-9_-]+$"})
    return schema


@dataclass
class Doc:
    """What an endpoint tells the document about itself."""

    summary: str
    tag: str
    body: type | None = None  # a form class: the JSON (or multipart) body
    lists: tuple[str, ...] = ()  # the body's fields that take an array
    multipart: bool = False
    query: list[dict] = field(default_factory=list)  # OpenAPI parameter objects
    responses: dict[int, dict] = field(default_factory=dict)  # status -> {"description", "schema" | "content"}
    errors: tuple[int, ...] = ()  # statuses beyond those every endpoint may answer
    is_paged: bool = False
    example: dict | None = None
    public: bool = False
    path: dict[str, dict] = field(default_factory=dict)  # a path argument's schema beyond its converter's
    etag_from: str | None = None  # a write: the GET endpoint whose ETag If-Match names (api/conditional.py)


def documented(summary: str, *, tag: str, **kwargs) -> Callable:
    """Declare an endpoint's summary, body, parameters and answers for the OpenAPI document."""

    def mark(view: Callable) -> Callable:
        view.openapi = Doc(summary, tag, **kwargs)
        return view

    return mark


DATE_PARAMETER = {"type": "string", "pattern": rf"^({DATE_PATTERN})$", "examples": ["2021-03-31"]}


def query_param(name: str, schema: dict, description: str, required: bool = False) -> dict:
    """An OpenAPI query parameter."""
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


# --- forms as JSON Schema --------------------------------------------------------------------------------------

_DATE = {"type": "string", "pattern": rf"^({DATE_PATTERN})$", "examples": ["2021-03-31"],
         "description": "YYYY-MM-DD or dd/mm/yyyy"}


def _field_schema(form_field: Field, many: bool) -> dict:
    kind = form_field.type
    if kind in ("VietnameseDateField", "DateField"):
        schema = dict(_DATE)
    elif kind in ("WholeNumberField", "IntegerField"):
        schema = {"type": "integer"}
    elif kind == "BooleanField":
        schema = {"type": "boolean"}
    elif kind in ("SelectField", "SelectMultipleField", "RadioField"):
        values = [str(value) for value, *_rest in form_field.iter_choices()]
        schema = {"type": "string", "enum": values} if values else {"type": "string"}
        many = many or kind == "SelectMultipleField"
    elif kind in ("FileField", "MultipleFileField"):
        schema = {"type": "string", "format": "binary"}
        many = many or kind == "MultipleFileField"
    else:
        schema = {"type": "string"}
    for check in form_field.validators:
        if isinstance(check, v.Length) and schema["type"] == "string":
            if check.max and check.max > 0:
                schema["maxLength"] = check.max
        elif isinstance(check, v.NumberRange) and schema["type"] == "integer":
            if check.min is not None:
                schema["minimum"] = check.min
            if check.max is not None:
                schema["maximum"] = check.max
        elif isinstance(check, v.Email):
            schema["format"] = "email"
    override = getattr(form_field, "api_schema", None)
    if override:
        schema = dict(override)
    if form_field.description:
        schema["description"] = str(form_field.description)
    label = str(form_field.label.text) if form_field.label else ""
    if label and "description" not in schema:
        schema["title"] = label
    return {"type": "array", "items": schema} if many else schema


def _required(form_field: Field) -> bool:
    return any(isinstance(check, (v.InputRequired, v.DataRequired)) for check in form_field.validators)


def form_schema(form_class: type, lists: tuple[str, ...] = (), multipart: bool = False) -> dict:
    """The JSON Schema of a form's fields as the API takes them (no CSRF token; files only in multipart)."""
    form = form_class(formdata=None, meta={"csrf": False})
    properties, required = {}, []
    overrides = getattr(form_class, "api_types", {})
    for form_field in form:
        if form_field.type in ("CSRFTokenField", "SubmitField"):
            continue
        if form_field.type in ("FileField", "MultipleFileField") and not multipart:
            continue
        schema = dict(overrides.get(form_field.name) or _field_schema(form_field, form_field.name in lists))
        if _required(form_field):
            required.append(form_field.name)
        elif not multipart:
            schema = nullable(schema)
        properties[form_field.name] = schema
    # Members a form has no field for (an object of choices), read by the endpoint itself.
    properties.update(getattr(form_class, "api_extra", {}))
    schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _kind_words() -> dict[str, str]:
    # Built per call: each word in the request's language.
    return {"string": _("chuỗi ký tự"), "integer": _("số nguyên"), "array": _("danh sách"),
            "boolean": _("true hoặc false"), "object": _("đối tượng JSON")}


def _type_message(kind) -> str:
    kinds = kind if isinstance(kind, list) else [kind]
    words = _kind_words()
    return _("Phải là %(kind)s.", kind=", ".join(words[k] for k in kinds if k in words))


def read_json(form_class: type, lists: tuple[str, ...] = (), **form_kwargs):
    """The request's JSON body checked against the form's schema (types, choices, lengths), then by the form
    itself (its own messages and rules); the validated form, or a 400 problem naming each bad field."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise invalid({"body": [_("Gửi một đối tượng JSON.")]})
    # The form's own words first (the page says the same of the same value); the schema's check of types
    # speaks only of a field the form found nothing wrong with ("10" where a number is due).
    form = form_class(formdata=json_formdata(payload, lists), meta={"csrf": False}, **form_kwargs)
    form.validate()
    errors = {name: [str(m) for m in messages] for name, messages in form.errors.items()}
    for error in jsonschema.Draft202012Validator(form_schema(form_class, lists)).iter_errors(payload):
        if error.validator == "required" or not error.absolute_path:
            continue
        name = str(error.absolute_path[0])
        if name not in form.errors:
            errors.setdefault(name, []).append(_message(error))
    if errors:
        raise invalid({name: list(dict.fromkeys(messages)) for name, messages in errors.items()})
    return form


def read_multipart(form_class: type, **form_kwargs):
    """A multipart/form-data body checked by its form; the validated form, or a 400 problem."""
    if not request.content_type or not request.content_type.startswith("multipart/form-data"):
        raise invalid({"body": [_("Gửi dạng multipart/form-data.")]})
    form = form_class(meta={"csrf": False}, **form_kwargs)
    if not form.validate():
        raise invalid(form.errors)
    return form


def _message(error: jsonschema.ValidationError) -> str:
    if error.validator in ("type", "anyOf"):
        kind = error.validator_value if error.validator == "type" else [
            option.get("type") for option in error.validator_value if "type" in option]
        return _type_message(kind)
    if error.validator == "enum":
        return _("Giá trị phải là một trong: %(values)s.", values=", ".join(map(str, error.validator_value)))
    if error.validator == "maxLength":
        return _("Không dài quá %(max)d ký tự.", max=error.validator_value)
    if error.validator in ("minimum", "maximum"):
        low, high = error.schema.get("minimum"), error.schema.get("maximum")
        if low is not None and high is not None:
            return _("Số phải từ %(min)s đến %(max)s.", min=low, max=high)
        return _("Số ngoài khoảng cho phép.")
    if error.validator == "pattern" and "{" not in str(error.validator_value):
        return _("Ngày không hợp lệ: nhập dd/mm/yyyy hoặc YYYY-MM-DD.")
    return _("Giá trị không hợp lệ.")


def query_parameters(doc: Doc) -> list[dict]:
    """The query parameters an endpoint declares, its paging ones included."""
    return doc.query + (_PAGING if doc.is_paged else [])


_WHOLE = re.compile(r"-?[0-9]{1,18}")


def check_query(doc: Doc) -> None:
    """The query string against the endpoint's declared parameters (each given once, of its type, in its range or
    choices); a 400 problem naming each bad one. Parameters the endpoint does not declare are ignored."""
    errors: dict[str, list[str]] = {}
    for parameter in doc.query:  # page and per_page: paging.page_args checks them, in words of its own
        name, schema = parameter["name"], parameter["schema"]
        values = request.args.getlist(name)
        if not values:
            continue
        if len(values) > 1:
            errors[name] = [_("Chỉ gửi «%(name)s» một lần.", name=name)]
            continue
        # Blanks around a choice are forgiven, as the forms' filters do (" overdue " is "overdue").
        value: object = values[0].strip() if "enum" in schema else values[0]
        if schema.get("type") == "integer":
            if not _WHOLE.fullmatch(values[0]):
                errors[name] = [_type_message("integer")]
                continue
            value = int(values[0])
        problems = [_message(e) for e in jsonschema.Draft202012Validator(schema).iter_errors(value)]
        if problems:
            errors[name] = problems
    if errors:
        raise invalid({**(page_errors() if doc.is_paged else {}), **errors})


# --- the document ----------------------------------------------------------------------------------------------

_PATH_ARG = re.compile(r"<(?:(\w+):)?(\w+)>")


def _problem_response(description: str) -> dict:
    return {"description": description, "content": {"application/problem+json": {"schema": ref("Problem")}}}


_ERROR_TEXT = {
    400: "Bad input: `errors` names each field (or the request itself is malformed, e.g. carries a NUL character).", 401: "No valid bearer token (`WWW-Authenticate: Bearer`).",
    403: "The token's account may not do this.", 404: "Not found.", 409: "Stale version or a concurrent change.",
    412: "If-Match does not match the current ETag.", 413: "The body is too large.",
    429: "Too many requests (`Retry-After`).", 500: "An error of the server's, logged with the request's id.",
    502: "The stored file no longer matches the SHA-256 taken at upload; nothing was sent (logged).", 503: "Storage temporarily unavailable; nothing was saved.",
}
_HEADERS = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}}},
    429: {"Retry-After": {"schema": {"type": "string"}}},
}
_PAGING = [query_param("page", {"type": "integer", "minimum": 1, "maximum": 100000, "default": 1}, "Page number."),
           query_param("per_page", {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}, "Rows per page.")]
_LINK = {"Link": {"schema": {"type": "string"}, "description": "RFC 8288 links: first, prev, next, last."}}


_ETAG = {"ETag": {"schema": {"type": "string"}, "description": "The resource's entity tag, for If-Match."}}
_IF_MATCH = {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
             "description": "The ETag you last read: the change is made only if the resource still has it (else 412, "
                            "nothing changed, with the current ETag)."}


def _operation(endpoint: str, method: str, view: Callable, doc: Doc, path_args: list[tuple[str, str]],
               tagged: bool) -> dict:
    """One operation object; `tagged`: its 200 carries a content ETag (some write's twin)."""
    guarded = doc.etag_from is not None or 412 in doc.errors
    parameters = [{"name": name, "in": "path", "required": True,
                   "schema": doc.path.get(name) or ({"type": "integer", "minimum": 0} if conv == "int"
                                                    else {"type": "string", "minLength": 1})}
                  for conv, name in path_args]
    parameters += query_parameters(doc)
    if guarded:
        parameters.append(_IF_MATCH)
    op: dict = {"operationId": endpoint.removeprefix("api.") + ("" if method in ("get",) else f"_{method}"),
                "summary": doc.summary, "tags": [doc.tag]}
    description = (view.__doc__ or "").strip()
    if description:
        op["description"] = description
    if parameters:
        op["parameters"] = parameters
    if doc.body is not None:
        media = "multipart/form-data" if doc.multipart else "application/json"
        body: dict = {"schema": form_schema(doc.body, doc.lists, doc.multipart)}
        if doc.example:
            body["example"] = doc.example
        op["requestBody"] = {"required": True, "content": {media: body}}
    responses = {}
    for status, answer in doc.responses.items():
        entry = {"description": answer.get("description", "OK")}
        if "content" in answer:
            entry["content"] = answer["content"]
        elif "schema" in answer:
            entry["content"] = {"application/json": {"schema": answer["schema"]}}
        headers = dict(answer.get("headers", {}))
        if doc.is_paged and status == 200:
            headers.update(_LINK)
        if (tagged and status == 200) or (guarded and 200 <= status < 300):
            headers.update(_ETAG)
        if headers:
            entry["headers"] = headers
        responses[str(status)] = entry
    statuses = set(doc.errors) | {500, 503} | ({412} if guarded else set())
    if not doc.public:
        statuses |= {401, 429}
    # Any request can be malformed (a NUL character anywhere is refused before routing): 400 everywhere.
    statuses.add(400)
    if path_args or any(q["name"] == "year" for q in doc.query):
        statuses.add(404)
    if doc.body is not None:
        statuses.add(413)
    for status in sorted(statuses):
        entry = _problem_response(_ERROR_TEXT[status])
        if status in _HEADERS:
            entry["headers"] = _HEADERS[status]
        elif status == 412:
            entry["headers"] = _ETAG
        responses[str(status)] = entry
    op["responses"] = responses
    if doc.public:
        op["security"] = []
    return op


def tagged_endpoints(app) -> set[str]:
    """Every GET endpoint some write names as `etag_from`: these answer with a content ETag."""
    return {doc.etag_from for view in app.view_functions.values()
            if (doc := getattr(view, "openapi", None)) is not None and doc.etag_from}


def build_document(app=None) -> dict:
    """The OpenAPI 3.1 document of every /api/v1 endpoint (call within a request, for the forms' choices)."""
    app = app or current_app
    paths: dict[str, dict] = {}
    tagged = tagged_endpoints(app)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("api."):
            continue
        view = app.view_functions[rule.endpoint]
        doc: Doc | None = getattr(view, "openapi", None)
        if doc is None:
            raise LookupError(f"{rule.endpoint} has no @documented declaration")
        path_args = [(conv or "string", name) for conv, name in _PATH_ARG.findall(rule.rule)]
        path = _PATH_ARG.sub(lambda m: "{" + m.group(2) + "}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(rule.endpoint, method.lower(), view, doc,
                                                                          path_args, rule.endpoint in tagged)
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION,
                 "description": "The plan's tasks, lines, rounds, figures and accounts, with the same permissions as "
                                "the pages. Every error is RFC 9457 problem details in the language asked for "
                                "(Accept-Language: vi or en). Create a token on your profile page and send "
                                "`Authorization: Bearer <token>`."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "tags": [{"name": name} for name in sorted({op["tags"][0] for ops in paths.values() for op in ops.values()})],
        "paths": paths,
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                      "description": "A personal token from the profile page."}},
                       "schemas": dict(sorted(SCHEMAS.items()))},
    }


component("Problem", {
    "type": "object", "required": ["type", "title", "status", "detail"],
    "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                   "detail": {"type": "string"},
                   "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}},
    "description": "RFC 9457 problem details; extension members may follow (e.g. `line` with the newer state).",
})
