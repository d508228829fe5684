"""The HR API fuzzed from its own OpenAPI schema (schemathesis): valid and invalid requests to every
operation the schema lists, single and chained (a list's ids fed to the detail operations), against an
organization with departments, members and scored attempts. Every answer must be a documented status
with a body that matches the schema, never a 5xx, and nothing may answer without a valid token.

The schema is read from the app when the tests are collected, so endpoints added later are fuzzed
without a change here. MOSHI_FUZZ_EXAMPLES (default 20 per operation) sets the depth: `make fuzz`."""

import os
import random

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from organizations.services import api_token_create
from tests.factories import DepartmentFactory, MembershipFactory
from tests.world import take

EXAMPLES = int(os.environ.get("MOSHI_FUZZ_EXAMPLES", "20"))
HYPOTHESIS = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 20, suppress_health_check=list(HealthCheck)
)

# What the issue asks of the API: no server errors, and no answer the schema does not describe (status,
# content type, body), and no operation that answers without a valid token. Whether a harmless invalid
# value (page_size=0) is ignored rather than refused is left to the API's documented behaviour.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    ignored_auth,
]

pytestmark = pytest.mark.slow

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
schema.config.generation.update(max_examples=EXAMPLES)


@pytest.fixture(autouse=True)
def _keep_the_test_transaction():
    """schemathesis calls the WSGI app directly, not through Django's test client, so Django would close the
    database connection after each request (it is inside the test's transaction); the client does the same."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def api_key(db, organization, other_organization, cohort_blueprint):
    """An organization token, and data behind it: nested departments, members in and out of them, scored
    attempts; another organization's member and attempt the token must never see."""
    rng = random.Random(7)
    parent = DepartmentFactory(organization=organization, name="開発本部")
    child = DepartmentFactory(organization=organization, name="AI推進部", parent=parent)
    members = [MembershipFactory(organization=organization, department=d) for d in (parent, child, child)]
    members.append(MembershipFactory(organization=organization, department=None, role="hr_manager"))
    members.append(MembershipFactory(organization=organization, department=child, is_active=False))
    for n, member in enumerate(members):
        take(cohort_blueprint, user=member.user, right=n + 1, rng=rng)
    take(cohort_blueprint, user=MembershipFactory(organization=other_organization).user, right=3, rng=rng)
    token, key = api_token_create(organization=organization, name="fuzz")
    cache.delete(f"throttle_api_token_{token.pk}")
    return key


def headers(api_key: str) -> dict:
    # identity: the in-process (WSGI) transport hands schemathesis the bytes as sent, and would not un-gzip them.
    return {"Authorization": f"Bearer {api_key}", "Accept-Encoding": "identity"}


@schema.parametrize()
@HYPOTHESIS
def test_every_operation_answers_as_its_schema_says(case, api_key):
    case.call_and_validate(headers=headers(api_key), checks=CHECKS)


def test_chained_requests_answer_as_the_schema_says(api_key):
    class Workflow(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": headers(api_key)}

        def validate_response(self, response, case, **kwargs):
            # ignored_auth is left to the test above: here every call carries the valid token in its headers.
            case.validate_response(response, checks=[c for c in CHECKS if c is not ignored_auth])

    Workflow.run(settings=settings(HYPOTHESIS, max_examples=max(5, EXAMPLES // 2), stateful_step_count=6))
