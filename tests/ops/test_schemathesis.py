"""Property-based API test (Schemathesis) against the document the service itself serves at /api/v1/openapi.json.

Every documented operation gets generated requests (valid and invalid query strings, bodies and headers); every
answer must be a non-5xx whose status, content type, headers and JSON body match what the document promises.
The document is read from the running app (WSGI, in-process), so what is tested is what a client gets.
Short enough for CI: a few examples per operation.
"""

from __future__ import annotations

import tempfile

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from melanoscan.api import create_app

# Examples per operation: the screening endpoint runs the real model on whatever decodes.
MAX_EXAMPLES = 25


# The operations are needed at collection time (one test per operation), so the app is built then, once;
# Schemathesis is one very busy client: no rate limit.
_data_dir = tempfile.TemporaryDirectory(prefix="melanoscan-schemathesis-")
api = create_app(data_dir=_data_dir.name, ort_threads=1, ratelimit_enabled=False)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api)


def test_every_operation_is_generated_from():
    operations = {(op.ok().method.upper(), op.ok().path) for op in schema.get_all_operations()}
    assert {("POST", "/api/v1/screenings"), ("GET", "/api/v1/hospitals"), ("GET", "/readyz")} <= operations


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case):  # type: ignore[no-untyped-def]
    # Every check but "positive data acceptance": the document cannot say which bytes are a usable photo
    # (a schema-valid 1x1 PNG is rightly refused with a documented 422), so a schema-valid upload may
    # get a documented 4xx. A 5xx, an undocumented status, a wrong content type or body still fail.
    # In-process WSGI calls get the body as the server wrote it: ask for it uncompressed (brotli/gzip are
    # tested over real HTTP in tests/web/test_web_delivery.py), as a browser would decode it.
    case.call_and_validate(app=api, headers={"Accept-Encoding": "identity"}, excluded_checks=[positive_data_acceptance])
