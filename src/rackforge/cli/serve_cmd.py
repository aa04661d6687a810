"""``rackforge serve [--db URL] [--host H] [--port P] [--data-dir DIR]``: the shared service."""

from __future__ import annotations

from pathlib import Path

import click

from rackforge.cli.db_cmd import data_dir_option, db_url_option
from rackforge.service.settings import Settings


@click.command()
@db_url_option
@data_dir_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option("--workers", type=click.IntRange(0, 64), default=1, show_default=True,
              help="Analysis worker threads in this process.")
@click.option("--lease-seconds", type=click.FloatRange(0.5, 3600), default=Settings.lease_s, show_default=True,
              help="A claimed run whose worker has not been heard from for this long is queued again.")
@click.option("--heartbeat-seconds", type=click.FloatRange(0.1, 600), default=Settings.heartbeat_s,
              show_default=True, help="How often a worker renews its lease and records progress.")
@click.option("--access-log/--no-access-log", default=True, show_default=True,
              help="Log each request (method, path, status; never headers or bodies).")
def serve(db_url: str | None, data_dir: Path, host: str, port: int, workers: int, lease_seconds: float,
          heartbeat_seconds: float, access_log: bool) -> None:
    """Serve the API and run queued analyses, on SQLite in --data-dir or a PostgreSQL --db URL.

    The database must be migrated first ('rackforge db upgrade' with the same --db or --data-dir);
    add users with 'rackforge users add NAME' and tokens with 'rackforge tokens create NAME'.
    """
    import logging

    import uvicorn

    from rackforge.cli.db_cmd import resolve_url, shown_url, upgrade_hint
    from rackforge.service.app import create_app
    from rackforge.service.db import Database
    from rackforge.service.migrate import require_current

    url = resolve_url(db_url, data_dir)
    database = Database.connect(url)
    require_current(database.engine, upgrade_hint(db_url, data_dir))
    if heartbeat_seconds * 2 > lease_seconds:
        from rackforge.errors import UsageError

        raise UsageError("--heartbeat-seconds must be at most half of --lease-seconds, or live runs would be "
                         "taken for dead")
    app = create_app(Settings(db_url=url, workers=workers, lease_s=lease_seconds, heartbeat_s=heartbeat_seconds),
                     database)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    click.echo(f"rackforge serve: {shown_url(url)} on http://{host}:{port} ({workers} worker thread(s))", err=True)
    uvicorn.run(app, host=host, port=port, log_level="info", server_header=False, access_log=access_log,
                timeout_graceful_shutdown=5)  # open line-board streams never end by themselves (issue 16)
