"""Schemathesis against the generated OpenAPI document, in-process: every operation is
called with examples drawn from its own schema (a bounded, derandomised number per
operation), and every answer must be no server error and must match what the document
promises (status codes, content types, headers, bodies).

The app holds published materials, a draft, a withdrawn material and an arrangement; the
requests carry a write token of their author, so every operation runs its whole path
(reads as a signed-in author see drafts; writes reach the services).  Nothing is excluded.

(Schemathesis' ``@schema.parametrize`` with ``from_fixture`` relies on a pytest internal
this pytest no longer has, so the operations are walked here, each with its own
Hypothesis run, and every failure is reported with the operation's name.)
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.config import SchemathesisConfig

from tests.fixtures.api import build_world, make_token

EXAMPLES_PER_OPERATION = 20

#: What a schema-valid request may be refused with besides schemathesis' defaults, and why:
#: the document describes shapes; the services still apply rules a shape cannot say —
#: vocabulary codes and labels, licences and the licence engine, a filter value (400 or 422
#: problems that name the field); a review state (422: already waiting or published); a
#: withdrawn material (410); an ``If-Match`` that names another version (412).  405, 413,
#: 415 and every 5xx stay failures, and the other checks (server errors, documented status
#: codes, content types, headers, bodies) are all on.
RULES_BEYOND_THE_SCHEMA = [400, 410, 412, 422]
CONFIG = SchemathesisConfig.from_dict({"checks": {"positive_data_acceptance": {
    "expected-statuses": ["2xx", "3xx", 401, 403, 404, 409, 429, *RULES_BEYOND_THE_SCHEMA]}}})


def test_every_operation_keeps_to_its_schema(app, make_user, make_material):
    world = build_world(app, make_user, make_material)
    app.config["API_RATE_LIMIT"] = "100000 per minute"
    app.config["API_WRITE_RATE_LIMIT"] = "100000 per minute"
    headers = {"Authorization": f"Bearer {make_token(app, world['teacher'], 'write')}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=CONFIG)
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, deadline=None,
                  database=None, suppress_health_check=list(HealthCheck))
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers)

        try:
            run()
        except BaseException as failure:  # collected, then reported together
            failures[operation.label] = f"{type(failure).__name__}: {failure}"[:3000]
    assert not failures, "\n\n".join(f"{label}\n{text}" for label, text in failures.items())
