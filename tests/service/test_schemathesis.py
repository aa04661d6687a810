"""Property-based requests from the OpenAPI schema (schemathesis): no route answers 500.

Requests carry a valid token of a user who owns programme 1 (with a second revision and a finished
run 1), so generated ids, bodies and options reach the routes' logic, not only the 401 in front of it.
A few examples per operation keep the suite short; CI draws the same ones every time (derandomised
hypothesis profile).
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

from rackforge.service.db import Database

from .helpers import add_user, bearer, drain, mini_files

EXAMPLES_PER_OPERATION = 5


def _owner(client: Any, db: Database) -> str:
    token = add_user(db, "alice")
    pid = client.post("/api/programmes", json={"name": "mini", "files": mini_files()}, headers=bearer(token)).json()
    client.post(f"/api/programmes/{pid['id']}/revisions", headers=bearer(token),
                json={"files": {"extra.yaml": "parts: []\n"}, "message": "second"})
    client.post(f"/api/programmes/{pid['id']}/runs", json={"analysis": "check"}, headers=bearer(token))
    drain(db)
    return token


def test_no_request_makes_a_server_error(client: Any, db: Database) -> None:
    token = _owner(client, db)
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:
        _fuzz(operation, token)


def _fuzz(operation: Any, token: str) -> None:
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck),
              database=None)
    @given(case=operation.as_strategy())
    def call(case: Any) -> None:
        response = case.call(headers={**(case.headers or {}), **bearer(token)})
        assert response.status_code < 500, (case.method, case.formatted_path, case.body, response.text[:300])

    call()
