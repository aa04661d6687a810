"""Tenant isolation: a second user without a role sees nothing of the first's programmes, on every route.

The table below must name every route of the app (a new route without an isolation case fails
:func:`test_every_route_has_an_isolation_case`).
"""

from __future__ import annotations

from typing import Any

from rackforge.service.db import Database

from .helpers import add_user, bearer, drain, mini_files

CASES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/programmes/{pid}", None),
    ("POST", "/api/programmes/{pid}/revisions", {"files": {"x.yaml": "parts: []\n"}, "message": "m"}),
    ("GET", "/api/programmes/{pid}/revisions", None),
    ("GET", "/api/programmes/{pid}/revisions/1/files", None),
    ("GET", "/api/programmes/{pid}/revisions/1/diff?against=1", None),
    ("POST", "/api/programmes/{pid}/baseline", {"revision": 1}),
    ("GET", "/api/programmes/{pid}/audit", None),
    ("GET", "/api/programmes/{pid}/members", None),
    ("PUT", "/api/programmes/{pid}/members/alice", {"role": "owner"}),
    ("POST", "/api/programmes/{pid}/runs", {"analysis": "check"}),
    ("GET", "/api/programmes/{pid}/runs", None),
    ("GET", "/api/runs/{rid}", None),
    ("GET", "/api/runs/{rid}/results", None),
    ("GET", "/api/runs/{rid}/report", None),
    ("GET", "/api/runs/{rid}/events", None),
]
"""Every route that names a programme or a run, with a body that would succeed for its owner."""

OPEN_OR_OWN = {("GET", "/api/health"), ("GET", "/api/programmes"), ("POST", "/api/programmes"),
               ("POST", "/api/users"), ("GET", "/api/tokens"), ("DELETE", "/api/tokens/{lookup}")}
"""Routes without a programme or run id: health, the caller's own list and new programmes, adding a
user (administrators only: tests/service/test_api.py), and the caller's own API tokens (another user's
token is a 404: tests/service/test_tokens.py)."""
OPEN_OR_OWN |= {(m, "/api/programmes/{programme_id}/" + p) for m, p in (  # issue 16's line board: station tokens
    ("POST", "line-events"), ("POST", "test-results"), ("GET", "line-board"), ("GET", "line-board/events"),
    ("POST", "station-tokens"))}  # and an endless stream; their isolation is tested in tests/web/test_line_api.py


def _route_key(method: str, path: str) -> tuple[str, str]:
    template = path.split("?")[0].replace("{pid}", "{programme_id}").replace("{rid}", "{run_id}")
    template = template.replace("/revisions/1/", "/revisions/{number}/").replace("/members/alice",
                                                                                 "/members/{user_name}")
    return method, template


def test_every_route_has_an_isolation_case(client: Any) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    routes = {(method.upper(), path) for path, operations in paths.items() if path.startswith("/api/")
              for method in operations}
    covered = {_route_key(m, p) for m, p, _ in CASES} | OPEN_OR_OWN
    assert routes - covered == set(), "routes without a tenant-isolation case"


def test_a_second_user_sees_nothing_of_the_first(client: Any, db: Database) -> None:
    alice, mallory = add_user(db, "alice"), add_user(db, "mallory")
    pid = client.post("/api/programmes", json={"name": "secret", "files": mini_files()},
                      headers=bearer(alice)).json()["id"]
    rid = client.post(f"/api/programmes/{pid}/runs", json={"analysis": "check"}, headers=bearer(alice)).json()["id"]
    drain(db)
    assert client.get("/api/programmes", headers=bearer(mallory)).json() == []
    for method, template, body in CASES:
        url = template.format(pid=pid, rid=rid)
        response = client.request(method, url, json=body, headers=bearer(mallory))
        assert response.status_code == 404, (method, url, response.status_code, response.text)
        assert "secret" not in response.text
        # and the owner gets an answer (not a 404) from the same request: the 404 is about the caller
        owner = client.request(method, url, json=body, headers=bearer(alice))
        assert owner.status_code != 404 or template.endswith("/report"), (method, url, owner.text)
    # nothing mallory sent changed alice's programme
    revisions = client.get(f"/api/programmes/{pid}/revisions", headers=bearer(alice)).json()
    assert [r["author"] for r in revisions] == ["alice", "alice"]
    members = client.get(f"/api/programmes/{pid}/members", headers=bearer(alice)).json()
    assert [m["user"] for m in members] == ["alice"]
    actions = [(a["user"], a["action"]) for a in client.get(f"/api/programmes/{pid}/audit",
                                                             headers=bearer(alice)).json()]
    assert all(user == "alice" for user, _ in actions)


def test_ids_of_missing_and_hidden_programmes_answer_alike(client: Any, db: Database) -> None:
    alice, mallory = add_user(db, "alice"), add_user(db, "mallory")
    pid = client.post("/api/programmes", json={"name": "secret", "files": mini_files()},
                      headers=bearer(alice)).json()["id"]
    hidden = client.get(f"/api/programmes/{pid}", headers=bearer(mallory))
    missing = client.get(f"/api/programmes/{pid + 1000}", headers=bearer(mallory))
    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())
