"""Property-based fuzz of every operation in /schema/openapi.json, with schemathesis and Hypothesis.

Each request goes to the real app on PostgreSQL, once as each caller of the `callers`
fixture (anonymous, device, inspector, dispatcher, admin). Whatever it sends:

- no answer is a 5xx (the report quotes the app's traceback from its log);
- every error answer is an RFC 9457 problem document: `application/problem+json` with `type`, `title`,
  `status` (the HTTP status), `detail` and a non-empty `code`;
- every successful answer conforms to the schema: status code, content type, headers and body;
- afterwards GET /healthz still answers 200 with status "ok".

Litestar's schema documents the success status and a 400 with Litestar's own error body, which the
app never sends (its errors are problem documents, of many 4xx statuses). So error answers are held
to the problem-document contract rather than to the schema, and an undocumented 4xx is no failure.

test_fuzz: schemathesis generates valid and invalid data (positive and negative modes) per operation;
hooks mix in valid requests (tests/fuzz/seeds.py) and nasty values (tests/fuzz/nasty.py).
test_nul_in_every_text_field: each valid request once per text field, that field ending in NUL.

A failure names the operation, the callers it failed for, the request and what broke. Distinct
failures (by status and check, or by the app's exception and where it was raised) are reported
separately. The database is in the test's name: test_fuzz[POST /api/v1/requests][postgresql].
"""

from __future__ import annotations

import atexit
import re
import shutil
import tempfile
import textwrap
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.core import NOT_SET
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from backend.app import create_app
from backend.settings import load_settings
from tests.api.conftest import submit
from tests.fuzz import nasty, seeds

# Points far outside China, which the fuzz sends plenty of, make prcoords warn; they are answered.
pytestmark = pytest.mark.filterwarnings("ignore:Non-Chinese coords found:UserWarning")

# Generated examples per operation; each is sent as every caller, on both databases. Tuned so that
# tests/fuzz takes well under 90 s on a 2-core machine. Login hashes a password on every call.
MAX_EXAMPLES = 10
MAX_EXAMPLES_BY_OPERATION = {
    "POST /api/v1/auth/login": 3,
}

# The SSE feed never ends by itself, so a generated call to it would hang: it is left out here and
# tested on its own (tests/api/test_stream.py).
EXCLUDED_PATHS = ["/api/v1/staff/stream"]

CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {
            "mode": "all",  # positive and negative data
            "max-examples": MAX_EXAMPLES,
            "allow-x00": True,
            "deterministic": True,
            "database": "none",
        },
        # The coverage phase enumerates ~1900 boundary cases per database (each x5 callers): minutes,
        # not seconds. Random generation with the nasty values and the NUL probe fits the budget.
        "phases": {"coverage": {"enabled": False}},
        "operations": [
            {"include-name": name, "generation": {"max-examples": count}}
            for name, count in MAX_EXAMPLES_BY_OPERATION.items()
        ],
    }
)

# The schema as the app serves it. schemathesis starts an ASGI app's lifespan on an event loop of its
# own, so it gets an instance of its own that only serves the document (refusing the lifespan keeps
# it from opening any resources). The app under test is the `app` fixture, on the test's event loop.
_schema_dir = tempfile.mkdtemp(prefix="city-fuzz-schema-")
atexit.register(shutil.rmtree, _schema_dir, ignore_errors=True)
_schema_app = create_app(
    load_settings({}, data_dir=_schema_dir, database_url="sqlite+aiosqlite://", secret_key="s" * 40)
)


async def _schema_only(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        raise RuntimeError("lifespan not supported")
    await _schema_app(scope, receive, send)


schema = schemathesis.openapi.from_asgi("/schema/openapi.json", _schema_only, config=CONFIG).exclude(
    path=EXCLUDED_PATHS
)


def _names(parameters: Any) -> list[str]:
    return [parameter.name for parameter in parameters]


def _takes_json(operation: schemathesis.APIOperation) -> bool:
    return any(alternative.media_type == "application/json" for alternative in operation.body)


@schema.hook
def flatmap_body(context: schemathesis.HookContext, body: Any) -> Any:
    if not _takes_json(context.operation):
        return st.just(body)  # photo uploads: multipart, as generated
    return nasty.body(body, seeds.valid(seeds.BODIES.get(context.operation.label)))


@schema.hook
def flatmap_query(context: schemathesis.HookContext, query: Any) -> Any:
    operation = context.operation
    return nasty.parameters(query, _names(operation.query), seeds.valid(seeds.QUERIES.get(operation.label)))


@schema.hook
def flatmap_path_parameters(context: schemathesis.HookContext, path_parameters: Any) -> Any:
    names = _names(context.operation.path_parameters)
    generated = dict(path_parameters or {})
    existing = st.fixed_dictionaries({name: seeds.known(name) for name in names if name in seeds.KNOWN})
    return nasty.parameters(generated, names, existing.map(lambda values: {**generated, **values}))


SUCCESS_CHECKS = [
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
PROBLEM_MEDIA_TYPE = "application/problem+json"
BASE_URL = "http://city.test"  # the `client` fixture's


class FuzzFailure(AssertionError):
    """One kind of failure. Each kind gets its own subclass, so that Hypothesis tells distinct
    failures of one operation apart and reports (and shrinks) each on its own."""


_FAILURE_KINDS: dict[str, type[FuzzFailure]] = {}


def _failure_kind(key: str) -> type[FuzzFailure]:
    if key not in _FAILURE_KINDS:
        _FAILURE_KINDS[key] = type(f"FuzzFailure[{key}]", (FuzzFailure,), {"__module__": __name__})
    return _FAILURE_KINDS[key]


def _prepare(case: schemathesis.Case, headers: dict[str, str]) -> requests.PreparedRequest:
    """The request as schemathesis serializes it, but JSON bodies by nasty.dump_json."""
    kwargs = case.as_transport_kwargs(base_url=BASE_URL, headers=headers)
    if "json" in kwargs:
        kwargs["data"] = nasty.dump_json(kwargs.pop("json"))
    wanted = ("method", "url", "headers", "params", "cookies", "data", "files")
    return requests.Request(**{key: kwargs[key] for key in wanted if key in kwargs}).prepare()


_FRAME = re.compile(r'File "([^"]+)", line (\d+), in (\S+)')


def _server_error(tracebacks: list[str]) -> tuple[str, str]:
    """What the app raised and where (its innermost own frame), and the end of the traceback."""
    if not tracebacks:
        return "nothing logged", ""
    text = tracebacks[-1].strip()
    last = text.rsplit("The above exception was the direct cause of the following exception:", 1)[-1]
    lines = last.strip().splitlines()
    # The exception line is the first one after the frames that is not indented.
    exception = next((line for line in lines[1:] if line and not line[0].isspace()), lines[-1])
    frames = list(_FRAME.finditer(last))
    own = [frame for frame in frames if "/backend/" in frame.group(1)] or frames
    where = ""
    if own:
        path, _, function = own[-1].groups()
        place = path.split("/backend/", 1)[1] if "/backend/" in path else path.rsplit("/", 1)[-1]
        where = f" in {place}:{function}"
    return f"{exception.split(':', 1)[0]}{where}", "\n".join(text.splitlines()[-14:])


def _open311_body_violations(response: httpx.Response) -> str:
    """An Open311 answer in the format its suffix asked for: XML that parses, or JSON."""
    media_type = response.headers.get("content-type", "").split(";", 1)[0].strip()
    xml = response.url.path.endswith(".xml")
    if media_type != ("text/xml" if xml else "application/json"):
        return f"Content-Type {media_type!r} for {response.url.path}"
    try:
        ElementTree.fromstring(response.content) if xml else response.json()
    except (ElementTree.ParseError, ValueError) as exc:
        return f"body does not parse: {exc}"
    return ""


def _open311_violations(response: httpx.Response) -> list[str]:
    """Open311's errors are the specification's list of {code, description}, with our `problem` code;
    XML for a .xml path, JSON otherwise."""
    media_type = response.headers.get("content-type", "").split(";", 1)[0].strip()
    if response.url.path.endswith(".xml"):
        if media_type != "text/xml":
            return [f"Content-Type {media_type!r}, not text/xml"]
        try:
            root = ElementTree.fromstring(response.content)
        except ElementTree.ParseError as exc:
            return [f"body is not XML: {exc}"]
        errors = [{child.tag: child.text for child in error} for error in root.findall("error")]
        if root.tag != "errors":
            return [f"root element <{root.tag}>, not <errors>"]
    else:
        if media_type != "application/json":
            return [f"Content-Type {media_type!r}, not application/json"]
        errors = response.json()
    if not isinstance(errors, list) or len(errors) != 1 or not isinstance(errors[0], dict):
        return ["not a list of one error"]
    [error] = errors
    wrong = [f"`{name}` missing" for name in ("description", "problem") if not error.get(name)]
    if str(error.get("code")) != str(response.status_code):
        wrong.append(f"`code` is {error.get('code')!r}, not {response.status_code}")
    return wrong


def _problem_violations(response: httpx.Response) -> list[str]:
    if response.url.path.startswith("/open311/"):
        return _open311_violations(response)
    media_type = response.headers.get("content-type", "").split(";", 1)[0].strip()
    if media_type != PROBLEM_MEDIA_TYPE:
        return [f"Content-Type {media_type or '(none)'!r}, not {PROBLEM_MEDIA_TYPE}"]
    try:
        document = response.json()
    except ValueError:
        return ["body is not JSON"]
    if not isinstance(document, dict):
        return ["body is not a JSON object"]
    wrong = [
        f"`{name}` missing or not a string"
        for name in ("type", "title", "detail", "code")
        if not isinstance(document.get(name), str)
    ]
    if document.get("code") == "":
        wrong.append("`code` is empty")
    status = document.get("status")
    if isinstance(status, bool) or status != response.status_code:
        wrong.append(f"`status` is {status!r}, not {response.status_code}")
    return wrong


def _describe(response: httpx.Response) -> str:
    request = response.request
    lines = [f"{request.method} {request.url}"]
    if request.content:
        body = request.content[:200].decode("utf-8", "backslashreplace")
        if len(request.content) > 200:
            body += f"... ({len(request.content)} bytes)"
        lines.append(f"body: {body}")
    lines.append(f"answer {response.status_code}: {response.text[:300]}")
    return "\n".join(lines)


async def _check_as(
    case: schemathesis.Case, headers: dict[str, str], client: httpx.AsyncClient, log: Any
) -> list[tuple[str, str]]:
    """Send the case as one caller: (kind, details) of each thing that went wrong."""
    prepared = _prepare(case, headers)
    body = prepared.body or b""
    log.take()
    try:
        response = await client.request(
            prepared.method,
            prepared.url,
            headers=dict(prepared.headers),
            content=body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body,
        )
    except Exception as exc:  # the app let an exception out instead of answering
        return [(f"no answer, {type(exc).__name__}", f"{prepared.method} {prepared.url}\nraised {exc!r}")]
    if response.status_code >= 500:
        raised, traceback = _server_error(log.take())
        return [(f"{response.status_code} {raised}", f"{_describe(response)}\napp log:\n{traceback}")]
    if response.status_code >= 400:
        wrong = _problem_violations(response)
        if not wrong:
            return []
        return [
            (f"{response.status_code} not a problem document", f"{_describe(response)}\n" + "; ".join(wrong))
        ]
    if response.url.path.startswith("/open311/"):
        # Open311's shapes are the GeoReport specification's, JSON or XML by the suffix; the OpenAPI
        # schema knows them only as bytes.
        wrong = _open311_body_violations(response)
        return (
            [(f"{response.status_code} not Open311's format", f"{_describe(response)}\n{wrong}")]
            if wrong
            else []
        )
    try:
        case.validate_response(response, checks=SUCCESS_CHECKS)
    except FailureGroup as group:
        return [
            (f"{response.status_code} {failure.title}", f"{_describe(response)}\n{failure.message}")
            for failure in group.exceptions
        ]
    return []


def _report(found: dict[str, tuple[list[str], str]]) -> str:
    return "\n".join(
        f"== {kind}  (as {', '.join(callers)})\n" + textwrap.indent(details, "   ")
        for kind, (callers, details) in sorted(found.items())
    )


@schema.parametrize()
@settings(
    deadline=None,
    derandomize=True,  # the same examples on every run, CI included
    database=None,  # no example database in the working tree
    print_blob=False,
    # The fixtures (app, accounts, seeds) are shared by all examples of an operation on purpose.
    suppress_health_check=list(HealthCheck),
)
async def test_fuzz(case, client, callers, seeded, error_log, healthy_afterwards):
    found: dict[str, tuple[list[str], str]] = {}
    for caller, headers in callers.items():
        for kind, details in await _check_as(case, headers, client, error_log):
            found.setdefault(kind, ([], details))[0].append(caller)
    if found:
        message = f"{case.operation.label}: {len(found)} kind(s) of failure\n{_report(found)}"
        raise _failure_kind(min(found))(message)


def _text_leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, str):
        return [path]
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    return [leaf for key, item in items for leaf in _text_leaves(item, (*path, key))]


def _nul_probes(operation: schemathesis.APIOperation) -> list[tuple[str, dict[str, Any]]]:
    """(field, request): each valid request as it is and sent again, then with one text field ending in
    NUL (a fresh body each time, so a body's own id never makes it a retry)."""
    probes = []
    query = seeds.QUERIES.get(operation.label, [dict])[0]()
    path = {name: seeds.KNOWN[name][0] for name in _names(operation.path_parameters)}
    for factory in seeds.BODIES.get(operation.label, [lambda: None]):
        body = factory()
        parts = {"body": body, "query": query, "path_parameters": path}
        probes.append(("(valid)", parts))
        if body is None:
            continue
        probes.append(("(valid, sent again)", parts))
        for leaf in _text_leaves(body):
            fresh = factory()
            with_nul = nasty.replace(fresh, leaf, f"{nasty.get(fresh, leaf)}\x00")
            probes.append((f"body.{'.'.join(map(str, leaf))}", {**parts, "body": with_nul}))
    for name in _names(operation.query):
        probes.append((f"query {name}", {**parts, "query": {**query, name: f"{query.get(name, '')}\x00"}}))
    for name in path:
        probes.append((f"path {name}", {**parts, "path_parameters": {**path, name: f"{path[name]}\x00"}}))
    return probes


async def test_nul_in_every_text_field(client, callers, seeded, error_log, healthy_afterwards):
    """PostgreSQL refuses NUL in any text value: each text field of each valid request, ending in NUL,
    must get a 4xx problem document (or be accepted), never a 5xx."""
    found: dict[str, tuple[list[str], str]] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    # Signing out ends the callers' sessions: that goes last.
    for operation in sorted(operations, key=lambda operation: operation.path.endswith("/logout")):
        for field, parts in _nul_probes(operation):
            if operation.label == "POST /api/v1/staff/cases/{case_id}/actions":
                # A case of its own, still `submitted`, so the step gets as far as writing it.
                if field != "(valid, sent again)":
                    case_id = (await submit(client, callers["device"]))["id"]
                parts = {**parts, "path_parameters": {"case_id": case_id}}
            body = parts["body"]
            case = operation.Case(
                body=body if body is not None else NOT_SET,
                query=parts["query"],
                path_parameters=parts["path_parameters"],
                media_type="application/json" if body is not None else None,
            )
            for caller, headers in callers.items():
                for kind, details in await _check_as(case, headers, client, error_log):
                    key = f"{operation.label}, {field}: {kind}"
                    found.setdefault(key, ([], details))[0].append(caller)
    if found:
        pytest.fail(f"{len(found)} failure(s)\n{_report(found)}", pytrace=False)
