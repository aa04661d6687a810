"""Sessions of the web pages in process: CSRF on every form, the cookie's flags, and a signed-in cookie
that reads the API but cannot change it (writes need a bearer token)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

MINI = Path(__file__).parents[1] / "data" / "mini"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    from rackforge.service import migrate
    from rackforge.service.app import create_app
    from rackforge.service.auth import hash_password, issue_token
    from rackforge.service.db import Database
    from rackforge.service.models import User
    from rackforge.service.settings import Settings

    url = f"sqlite:///{tmp_path / 'rackforge.db'}"
    db = Database.connect(url)
    migrate.upgrade(db.engine)
    with db.write() as session:
        ann = User(name="ann", password_hash=hash_password("pw"), is_admin=False)
        session.add(ann)
        session.flush()
        token = issue_token(session, ann)
    files = {p.name: p.read_text(encoding="utf-8") for p in sorted(MINI.glob("*.yaml"))}
    with TestClient(create_app(Settings(db_url=url, workers=0), db)) as c:
        assert c.post("/api/programmes", json={"name": "mini", "files": files},
                      headers={"Authorization": f"Bearer {token}"}).status_code == 201
        yield c
    db.dispose()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def test_forms_need_the_sessions_csrf_token(client: TestClient) -> None:
    page = client.get("/signin")
    token = csrf_of(page.text)
    form = {"name": "ann", "password": "pw", "next": "/programmes/1"}
    assert client.post("/signin", data=form, follow_redirects=False).status_code == 403
    assert client.post("/signin", data={**form, "csrf": "x" + token}, follow_redirects=False).status_code == 403
    signed = client.post("/signin", data={**form, "csrf": token}, follow_redirects=False)
    assert signed.status_code == 303 and signed.headers["location"] == "/programmes/1"
    cookie = signed.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    # signing in makes a new CSRF token: the old one no longer works
    programme = client.get("/programmes/1")
    fresh = csrf_of(programme.text)
    assert fresh != token
    assert client.post("/programmes/1/baseline", data={"revision": "1", "csrf": token},
                       follow_redirects=False).status_code == 403
    assert client.post("/programmes/1/baseline", data={"revision": "1", "csrf": fresh},
                       follow_redirects=False).status_code == 303
    # a page never redirects to another site after signing in
    client.post("/signout", data={"csrf": fresh})
    token = csrf_of(client.get("/signin").text)
    away = client.post("/signin", data={"name": "ann", "password": "pw", "next": "//evil.example/", "csrf": token},
                       follow_redirects=False)
    assert away.headers["location"] == "/programmes"


def test_the_cookie_reads_the_api_but_cannot_write_it(client: TestClient) -> None:
    token = csrf_of(client.get("/signin").text)
    client.post("/signin", data={"name": "ann", "password": "pw", "csrf": token})
    assert client.get("/api/programmes/1").status_code == 200
    revision = client.post("/api/programmes/1/revisions", json={"files": {}, "message": "by cookie"})
    assert revision.status_code == 401
    # a page of a programme one may not see is a 404 page; anonymous visitors are sent to sign in
    assert client.get("/programmes/99").status_code == 404
    client.cookies.clear()
    away = client.get("/programmes/1", follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"] == "/signin?next=/programmes/1"
