"""The sweep and capacity-plan options over the API: bad ones are 422 naming the option, and they are
part of what makes two runs the same (reuse)."""

from __future__ import annotations

from typing import Any

from rackforge.service.db import Database

from .helpers import add_user, bearer, mini_files


def _programme(client: Any, token: str) -> int:
    created = client.post("/api/programmes", json={"name": "mini", "files": mini_files()}, headers=bearer(token))
    return int(created.json()["id"])


def test_sweep_and_capacity_options_without_their_switch_are_422(client: Any, db: Database) -> None:
    token = add_user(db, "alice")
    pid = _programme(client, token)
    for analysis, options, needle in [
        ("optimize", {"targets": [0.5]}, "targets goes with sweep"),
        ("optimize", {"sweep": True, "caps": [2]}, "caps.0"),
        ("factory", {"plan_capacity": True, "weeks": 4}, "weeks does not go with plan_capacity"),
        ("factory", {"max_utilisation": 0.8}, "max_utilisation goes with plan_capacity"),
    ]:
        bad = client.post(f"/api/programmes/{pid}/runs", json={"analysis": analysis, "options": options},
                          headers=bearer(token))
        assert bad.status_code == 422, (options, bad.text)
        assert needle in bad.json()["detail"], bad.json()
    assert client.get(f"/api/programmes/{pid}/runs", headers=bearer(token)).json() == []


def test_sweep_options_are_part_of_the_run_key(client: Any, db: Database) -> None:
    token = add_user(db, "alice")
    pid = _programme(client, token)

    def post(options: dict[str, Any]) -> dict[str, Any]:
        response = client.post(f"/api/programmes/{pid}/runs", json={"analysis": "optimize", "options": options},
                               headers=bearer(token))
        assert response.status_code == 202, response.text
        return dict(response.json())

    sweep = post({"sweep": True, "targets": [0.02, 0.3]})
    assert post({"targets": [0.02, 0.3], "sweep": True})["id"] == sweep["id"]
    others = [post(o) for o in ({"sweep": True, "targets": [0.02]}, {"sweep": True, "targets": [0.02, 0.3],
                                                                      "caps": [0.9]},
                                {"sweep": True, "targets": [0.02, 0.3], "scenarios": 0},
                                {"sweep": True, "targets": [0.02, 0.3], "seed": 1}, {"sweep": True}, {})]
    assert not any(o["reused"] for o in others)
    assert len({sweep["id"], *(o["id"] for o in others)}) == 1 + len(others)
    plan = client.post(f"/api/programmes/{pid}/runs", json={"analysis": "factory", "options": {"plan_capacity": True}},
                       headers=bearer(token)).json()
    simulate = client.post(f"/api/programmes/{pid}/runs", json={"analysis": "factory"}, headers=bearer(token)).json()
    assert plan["id"] != simulate["id"] and not simulate["reused"]
