"""Schemathesis against the OpenAPI schema: every operation, with inputs generated from the
schema (and outside it), authenticated with a session and with a key, never answers 5xx, and
every answer matches the schema's status codes. Bounded: a few examples per operation."""

from contextlib import contextmanager
from itertools import product

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from jingshen.api.models import PushKind
from tests.api.conftest import key_client
from tests.test_access import values_for

EXAMPLES = 10  # per operation, mode (positive, negative) and way of signing in: the whole run stays well under a minute or two


@contextmanager
def database_kept_open():
    """The WSGI handler closes the database connection after each request; the test's
    transaction must survive (Django's test client disconnects the same signal handlers)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def run_schema(raw: dict, headers: dict) -> int:
    schema = schemathesis.openapi.from_dict(raw)
    schema.app = get_wsgi_application()
    operations = 0
    for result, mode in product(list(schema.get_all_operations()), GenerationMode):
        operation = result.ok()

        @given(case=operation.as_strategy(mode))
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def check(case):
            response = case.call(headers=headers)
            assert response.status_code < 500, f"{case.method} {case.formatted_path} {case.query}: {response.status_code}"
            case.validate_response(response, checks=[not_a_server_error, status_code_conformance])

        with database_kept_open():
            check()
        operations += 1
    return operations


@pytest.mark.django_db
def test_no_generated_input_gets_a_server_error(client_for, make_key, tmp_path):
    values_for("A1X", tmp_path)  # a dataset, a run with a flag, a project with a finding to find
    user = client_for("a_auditor")
    raw = user.get("/api/v1/schema/?format=json").json()
    assert {f"/api/v1/push/{kind}/" for kind in PushKind.values} <= set(raw["paths"])  # pushes are generated too
    session = {"Cookie": f"sessionid={user.cookies['sessionid'].value}"}
    assert run_schema(raw, session) >= 2 * 18
    _, secret = make_key("A")
    assert run_schema(raw, {"Authorization": f"Bearer {secret}"}) >= 2 * 18
    assert key_client(secret).get("/api/v1/schema/").status_code == 200  # a key reads the schema it calls
