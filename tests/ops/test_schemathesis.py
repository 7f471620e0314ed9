"""Property-based API test (Schemathesis) against the service's own /api/v1/openapi.json.

Every documented operation gets generated requests (valid and invalid query strings, bodies and
headers); every answer must be a non-5xx whose status, content type, headers and JSON body match
what the document promises. Short enough for CI: a few examples per operation, in-process (WSGI).
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402

from melanoscan.api import create_app  # noqa: E402
from melanoscan.api.openapi import openapi_document  # noqa: E402

# Examples per operation: the screening endpoint runs the real model on whatever decodes.
MAX_EXAMPLES = 25


@pytest.fixture(scope="module")
def api_app(tmp_path_factory):  # type: ignore[no-untyped-def]
    # Schemathesis is one very busy client: no rate limit.
    return create_app(data_dir=str(tmp_path_factory.mktemp("schemathesis")), ort_threads=1, ratelimit_enabled=False)


# The schema is needed at collection time (one test per operation) without starting the app; it is the
# same function the app serves at /api/v1/openapi.json, checked equal below before any request.
schema = schemathesis.openapi.from_dict(openapi_document(0.5))


def test_the_served_document_is_the_one_tested(api_app):  # type: ignore[no-untyped-def]
    served = api_app.test_client().get("/api/v1/openapi.json")
    assert served.status_code == 200
    assert served.get_json() == openapi_document(0.5)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case, api_app):  # type: ignore[no-untyped-def]
    # Every check but "positive data acceptance": the document cannot say which bytes are a usable photo
    # (a schema-valid 1x1 PNG is rightly refused with a documented 422), so a schema-valid upload may
    # get a documented 4xx. A 5xx, an undocumented status, a wrong content type or body still fail.
    case.call_and_validate(app=api_app, excluded_checks=[positive_data_acceptance])
