"""The JSON API through an HTTP client (TestClient) on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import rackforge.report
from rackforge.errors import InputError
from rackforge.io.loader import load_programme
from rackforge.service.db import Database

from .helpers import MINI, add_user, bearer, drain, mini_files

BAD_PART = "parts:\n  - id: broken-part\n    category: nonsense\n"


def _create(client: Any, token: str, files: dict[str, str] | None = None, name: str = "mini") -> int:
    response = client.post("/api/programmes", json={"name": name, "files": files or mini_files()},
                           headers=bearer(token))
    assert response.status_code == 201, response.text
    assert response.json()["revision"] == 1
    programme_id: int = response.json()["id"]
    return programme_id


def test_health_needs_no_token_and_everything_else_does(client: Any) -> None:
    assert client.get("/api/health").json() == {"status": "ok"}
    assert client.get("/api/programmes").status_code == 401
    assert client.get("/api/programmes", headers=bearer("rf_0000_nope")).status_code == 401


def test_create_list_revise_and_read_files(client: Any, db: Database) -> None:
    token = add_user(db, "alice")
    pid = _create(client, token)
    listed = client.get("/api/programmes", headers=bearer(token)).json()
    assert [(p["id"], p["role"], p["latest_revision"]) for p in listed] == [(pid, "owner", 1)]
    changed = mini_files()["programme.yaml"].replace("programme:", "# more racks\nprogramme:", 1)
    response = client.post(f"/api/programmes/{pid}/revisions", headers=bearer(token),
                           json={"files": {"programme.yaml": changed, "sources.yaml": None}, "message": "no sources"})
    # removing sources.yaml leaves parts without a source: still a loadable programme
    assert response.status_code == 201, response.text
    assert response.json()["number"] == 2
    files = client.get(f"/api/programmes/{pid}/revisions/2/files", headers=bearer(token)).json()["files"]
    assert set(files) == set(mini_files()) - {"sources.yaml"}
    assert files["programme.yaml"] == changed
    first = client.get(f"/api/programmes/{pid}/revisions/1/files", headers=bearer(token)).json()["files"]
    assert first == mini_files()
    revisions = client.get(f"/api/programmes/{pid}/revisions", headers=bearer(token)).json()
    assert [(r["number"], r["author"], r["message"]) for r in revisions] == [(1, "alice", "created"),
                                                                            (2, "alice", "no sources")]


def test_times_are_utc_with_their_zone(client: Any, db: Database) -> None:
    """The database stores UTC without a zone; the API must say it is UTC, or a client reads local time."""
    import datetime as dt

    token = add_user(db, "alice")
    before = dt.datetime.now(dt.UTC)
    pid = _create(client, token)
    stamps = [client.get(f"/api/programmes/{pid}", headers=bearer(token)).json()["created_at"],
              client.get(f"/api/programmes/{pid}/revisions", headers=bearer(token)).json()[0]["created_at"],
              client.get(f"/api/programmes/{pid}/audit", headers=bearer(token)).json()[0]["at"],
              client.get("/api/tokens", headers=bearer(token)).json()[0]["created_at"]]
    for stamp in stamps:
        moment = dt.datetime.fromisoformat(stamp)
        assert moment.utcoffset() == dt.timedelta(0), stamp
        assert before - dt.timedelta(seconds=5) <= moment <= dt.datetime.now(dt.UTC), stamp


def test_invalid_files_give_the_loaders_problems_and_store_nothing(client: Any, db: Database, tmp_path: Path) -> None:
    token = add_user(db, "alice")
    files = {**mini_files(), "extra.yaml": BAD_PART}
    response = client.post("/api/programmes", json={"name": "bad", "files": files}, headers=bearer(token))
    assert response.status_code == 422
    folder = tmp_path / "bad"
    shutil.copytree(MINI, folder)
    (folder / "extra.yaml").write_text(BAD_PART, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        load_programme(folder)
    expected = [{"file": str(Path(p.file).relative_to(folder)), "line": p.line, "field": p.field,
                 "message": p.message} for p in raised.value.problems]
    assert response.json()["problems"] == expected
    assert client.get("/api/programmes", headers=bearer(token)).json() == []
    pid = _create(client, token)
    bad_revision = client.post(f"/api/programmes/{pid}/revisions", headers=bearer(token),
                               json={"files": {"extra.yaml": BAD_PART}, "message": "break it"})
    assert bad_revision.status_code == 422
    assert [r["number"] for r in client.get(f"/api/programmes/{pid}/revisions", headers=bearer(token)).json()] == [1]
    audit = client.get(f"/api/programmes/{pid}/audit", headers=bearer(token)).json()
    assert [a["action"] for a in audit] == ["create"]


@pytest.mark.parametrize("name", ["../escape.yaml", "/abs.yaml", ".hidden.yaml", "notes.txt", "a/../b.yaml"])
def test_file_names_outside_the_programme_folder_are_refused(client: Any, db: Database, name: str) -> None:
    token = add_user(db, "alice")
    response = client.post("/api/programmes", headers=bearer(token),
                           json={"name": "x", "files": {**mini_files(), name: "parts: []\n"}})
    assert response.status_code == 422
    assert [p["file"] for p in response.json()["problems"]] == [name]


def test_roles_baseline_members_and_audit(client: Any, db: Database) -> None:
    owner, planner = add_user(db, "olga"), add_user(db, "pat")
    pid = _create(client, owner)
    put = client.put(f"/api/programmes/{pid}/members/pat", json={"role": "planner"}, headers=bearer(owner))
    assert put.status_code == 200
    assert {(m["user"], m["role"]) for m in put.json()} == {("olga", "owner"), ("pat", "planner")}
    # a planner may revise and run, but not approve or manage members
    assert client.post(f"/api/programmes/{pid}/baseline", json={"revision": 1},
                       headers=bearer(planner)).status_code == 403
    assert client.put(f"/api/programmes/{pid}/members/pat", json={"role": "owner"},
                      headers=bearer(planner)).status_code == 403
    assert client.post(f"/api/programmes/{pid}/runs", json={"analysis": "check"},
                       headers=bearer(planner)).status_code == 202
    client.put(f"/api/programmes/{pid}/members/pat", json={"role": "approver"}, headers=bearer(owner))
    response = client.post(f"/api/programmes/{pid}/baseline", json={"revision": 1, "message": "signed off"},
                           headers=bearer(planner))
    assert response.status_code == 200
    assert response.json()["baseline_revision"] == 1
    assert client.put(f"/api/programmes/{pid}/members/olga", json={"role": "viewer"},
                      headers=bearer(owner)).status_code == 409  # the last owner stays
    audit = client.get(f"/api/programmes/{pid}/audit", headers=bearer(planner)).json()
    assert [(a["user"], a["action"]) for a in audit] == [("olga", "create"), ("olga", "member"), ("olga", "member"),
                                                        ("pat", "baseline")]
    assert audit[-1]["message"] == "signed off"
    assert audit[-1]["detail"] == {"revision": 1, "previous": None}


def test_diff_by_section_and_record(client: Any, db: Database) -> None:
    token = add_user(db, "alice")
    pid = _create(client, token)
    catalog = mini_files()["catalog.yaml"]
    changed = catalog.replace("name: Acme Austin\n", "name: Acme Austin TX\n").replace("power_w: 2.7 kW",
                                                                                     "power_w: 2700 W")
    assert changed.count("Austin TX") == 1 and "2700 W" in changed
    added = ('suppliers:\n  - id: mini-new\n    name: New Co\n    hq_country: US\n'
             '    source: "estimate: a test fixture supplier"\n')
    response = client.post(f"/api/programmes/{pid}/revisions", headers=bearer(token),
                           json={"files": {"catalog.yaml": changed, "added.yaml": added}, "message": "edit"})
    assert response.status_code == 201, response.text
    diff = client.get(f"/api/programmes/{pid}/revisions/2/diff?against=1", headers=bearer(token))
    assert diff.status_code == 200, diff.text
    body = diff.json()
    assert body["files"] == {"added": ["added.yaml"], "removed": [], "changed": ["catalog.yaml"]}
    # 2.7 kW and 2700 W are the same power: compared in canonical units, the part did not change
    assert body["sections"] == {
        "sites": {"added": [], "removed": [], "changed": {"mini-acme-austin": [
            {"field": "name", "old": "Acme Austin", "new": "Acme Austin TX"}]}},
        "suppliers": {"added": ["mini-new"], "removed": [], "changed": {}}}
    assert body["key_figures"] is None  # no assess run of either revision yet
    reverse = client.get(f"/api/programmes/{pid}/revisions/1/diff?against=2", headers=bearer(token)).json()
    assert reverse["sections"]["suppliers"]["removed"] == ["mini-new"]


def test_request_body_limit(client: Any, db: Database) -> None:
    token = add_user(db, "alice")
    big = {"name": "big", "files": {"a.yaml": "x" * 1_100_000}}
    assert client.post("/api/programmes", json=big, headers=bearer(token)).status_code == 413


def test_run_lifecycle_results_and_reuse(client: Any, db: Database) -> None:
    token = add_user(db, "alice")
    pid = _create(client, token)
    first = client.post(f"/api/programmes/{pid}/runs", json={"analysis": "check"}, headers=bearer(token)).json()
    again = client.post(f"/api/programmes/{pid}/runs", json={"analysis": "check", "options": {"designs": []}},
                        headers=bearer(token)).json()
    assert again == {"id": first["id"], "status": "queued", "reused": True}
    assert client.get(f"/api/runs/{first['id']}", headers=bearer(token)).json()["status"] == "queued"
    assert client.get(f"/api/runs/{first['id']}/results", headers=bearer(token)).status_code == 409
    bad = client.post(f"/api/programmes/{pid}/runs", json={"analysis": "check", "options": {"nope": 1}},
                      headers=bearer(token))
    assert bad.status_code == 422
    assert "nope" in bad.json()["detail"]
    assert drain(db) == 1
    state = client.get(f"/api/runs/{first['id']}", headers=bearer(token)).json()
    assert (state["status"], state["progress"], state["exit_status"]) == ("done", 1.0, 0)
    results = client.get(f"/api/runs/{first['id']}/results", headers=bearer(token)).json()
    assert results["status"] in ("pass", "fail")
    assert client.get(f"/api/runs/{first['id']}/report", headers=bearer(token)).status_code == 409
    done_again = client.post(f"/api/programmes/{pid}/runs", json={"analysis": "check"}, headers=bearer(token)).json()
    assert done_again == {"id": first["id"], "status": "done", "reused": True}
    events = client.get(f"/api/runs/{first['id']}/events", headers=bearer(token))
    kinds = [line.split(": ", 1)[1] for line in events.text.splitlines() if line.startswith("event: ")]
    assert kinds == ["queued", "started", "done"]


def test_a_run_with_bad_input_fails_with_the_reason(client: Any, db: Database) -> None:
    token = add_user(db, "alice")
    pid = _create(client, token)
    run = client.post(f"/api/programmes/{pid}/runs", json={"analysis": "readiness"}, headers=bearer(token)).json()
    drain(db)
    state = client.get(f"/api/runs/{run['id']}", headers=bearer(token)).json()
    assert state["status"] == "failed"
    assert state["exit_status"] == 2
    assert "readiness" in state["error"]


def test_assess_report_is_sandboxed(client: Any, db: Database, db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("the report does not depend on the database; run once (SQLite) to keep the suite short")
    token = add_user(db, "alice")
    pid = _create(client, token)
    run = client.post(f"/api/programmes/{pid}/runs", json={"analysis": "assess", "options": {"scenarios": 100}},
                      headers=bearer(token)).json()
    drain(db)
    state = client.get(f"/api/runs/{run['id']}", headers=bearer(token)).json()
    assert state["status"] == "done", state
    report = client.get(f"/api/runs/{run['id']}/report", headers=bearer(token))
    assert report.status_code == 200
    csp = report.headers["content-security-policy"]
    assert csp.startswith("sandbox") and "allow-same-origin" not in csp
    assert "<html" in report.text[:500].lower()
    results = client.get(f"/api/runs/{run['id']}/results", headers=bearer(token)).json()
    assert results["options"]["monte_carlo_scenarios"] == 100
    schema = json.loads((Path(rackforge.report.__file__).parent / "results.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(results, schema)


def test_administrators_add_users(client: Any, db: Database) -> None:
    admin, planner = add_user(db, "root", admin=True), add_user(db, "pat")
    body = {"name": "newbie", "password": "long enough pw"}
    assert client.post("/api/users", json=body, headers=bearer(planner)).status_code == 403
    created = client.post("/api/users", json=body, headers=bearer(admin))
    assert (created.status_code, created.json()) == (201, {"name": "newbie", "admin": False})
    assert client.post("/api/users", json=body, headers=bearer(admin)).status_code == 409
    for bad in ({"name": "../x", "password": "long enough pw"}, {"name": "ok", "password": "short"}):
        assert client.post("/api/users", json=bad, headers=bearer(admin)).status_code == 422
    with db.read() as session:
        from rackforge.service.auth import authenticate

        assert authenticate(session, "newbie", "long enough pw") is not None
