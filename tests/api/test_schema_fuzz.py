"""Property-based tests generated from the OpenAPI description (schemathesis): no input makes the API answer
500, whatever the operation, parameters and body.

The description is generated in-process (drf-spectacular, the same as /api/v1/schema/) and the requests go
in-process to the WSGI application, with the owner's read-write key, so a run costs seconds: a few examples
per operation by default (SCHEMATHESIS_EXAMPLES raises it for a longer hunt). The owner's workspace has a
counterparty, a check and an alert.
"""

from __future__ import annotations

import json
import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tests.factories import AlertFactory, CheckResultFactory, CounterpartyFactory

from .conftest import key_client

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "5"))

# JSON round trip: the generator's lazy translations and enums become what the served document holds.
schema = schemathesis.openapi.from_dict(json.loads(json.dumps(SchemaGenerator().get_schema(public=True), default=str)))


@pytest.fixture
def wsgi_app(db, settings):
    """The project's WSGI handler inside the test's transaction: like Django's test client, the request
    signals must not close the connection that holds it. Schemathesis's WSGI client says `Host: localhost`."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def owner_key(owner, settings, registry_settings):
    settings.API_RATE_LIMIT = settings.API_VERIFY_RATE_LIMIT = "100000/minute"
    counterparty = CounterpartyFactory(workspace=owner.workspace)
    AlertFactory(check_run=CheckResultFactory(check_run__counterparty=counterparty).check_run)
    return key_client(owner.workspace).plaintext


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_operation_answers_500(case, wsgi_app, owner_key):
    case.operation.schema.app = wsgi_app
    response = case.call(app=wsgi_app, headers={"Authorization": f"Bearer {owner_key}"})
    case.validate_response(response, checks=[not_a_server_error])
