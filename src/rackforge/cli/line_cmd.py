"""``rackforge line replay``: post a simulated line's events to a service's line board."""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import click

from rackforge.cli.common import FiniteFloat, load, path_argument

if TYPE_CHECKING:
    from rackforge.factory.line_status import LineEvent

BATCH_MAX = 200
"""Most events posted in one request."""


@click.group()
def line() -> None:
    """Feed the line-side board: replay a simulated line to a server."""


@line.command("replay")
@path_argument
@click.option("--server", required=True, help="Service URL, e.g. http://127.0.0.1:8000.")
@click.option("--token", required=True, envvar="RACKFORGE_STATION_TOKEN",
              help="A station token of the programme (may only post events); or $RACKFORGE_STATION_TOKEN.")
@click.option("--programme-id", "programme_id", required=True, type=int, help="The programme's id on the server.")
@click.option("--speed", type=FiniteFloat(0.0, low_open=True), default=600.0, show_default=True,
              help="Simulated seconds per real second (600: ten minutes of the line each second).")
@click.option("--weeks", type=FiniteFloat(0.0, 52.0, low_open=True), default=2.0, show_default=True,
              help="Weeks of the line to simulate from the first release.")
@click.option("--seed", type=int, default=None, help="Simulation seed (default: the factory's).")
def replay(path: Path | None, server: str, token: str, programme_id: int, speed: float, weeks: float,
           seed: int | None) -> None:
    """Simulate the programme's line and post its events to the board at SPEED.

    PATH is a programme folder; without it the built-in reference programme is used. Each rack's
    start and finish at each station is posted to POST /api/programmes/ID/line-events at the time it
    happens in the simulation, compressed by --speed, with the simulated plant-clock time.
    """
    from rackforge.errors import UsageError
    from rackforge.factory.line_replay import simulated_line_events

    events = simulated_line_events(load(path), weeks=weeks, seed=seed)
    if not events:
        raise UsageError("the simulation produced no line events; simulate more --weeks")
    url = f"{server.rstrip('/')}/api/programmes/{programme_id}/line-events"
    first = events[0].time
    wall0 = time.monotonic()
    sent = 0
    click.echo(f"replaying {len(events)} events from {first:%Y-%m-%d %H:%M} at {speed:g}× to {url}", err=True)
    while sent < len(events):
        due = wall0 + (events[sent].time - first).total_seconds() / speed
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        now_sim = first + (time.monotonic() - wall0) * speed * dt.timedelta(seconds=1)
        batch: list[LineEvent] = []
        while sent < len(events) and events[sent].time <= now_sim and len(batch) < BATCH_MAX:
            batch.append(events[sent])
            sent += 1
        if not batch:
            batch.append(events[sent])
            sent += 1
        _post(url, token, [{"station": e.station, "status": e.status, "serial": e.serial,
                            "time": e.time.isoformat()} for e in batch])
    click.echo(f"posted {sent} events", err=True)


def _post(url: str, token: str, events: list[dict[str, object]]) -> None:
    """POST one batch; a refused request is a usage error naming the server's answer."""
    from rackforge.errors import UsageError

    body = json.dumps({"events": events}).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")[:300]
        raise UsageError(f"{url} refused the events: HTTP {exc.code} {detail}") from None
    except urllib.error.URLError as exc:
        raise UsageError(f"cannot reach {url}: {exc.reason}") from None
