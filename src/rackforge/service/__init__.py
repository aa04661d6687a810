"""The shared service: ``rackforge serve`` (issue 15).

One process holds a team's programmes in a database (SQLite in a data folder by default, PostgreSQL for
a team), serves a JSON API (FastAPI, OpenAPI at ``/api/openapi.json``) and runs the long analyses in
worker threads fed by a durable queue that is the ``runs`` table itself. Every analysis goes through
:mod:`rackforge.api` and the same JSON builders as the CLI (:mod:`rackforge.answers`), so the service
computes nothing of its own. See docs/service.md.

Layer 7 (docs/architecture.md): above the report, below the CLI.
"""
