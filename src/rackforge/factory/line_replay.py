"""Line events from a factory simulation run, for ``rackforge line replay`` (a line without a factory).

One replication of the programme's line (:func:`rackforge.factory.sim.simulate_raw`, the same engine as
``rackforge factory``) is run with each rack's trail recorded; every station visit becomes a ``start``
and a ``finish`` :class:`~rackforge.factory.line_status.LineEvent` at the visit's start and end, with
the rack's serial ``SIM-<n>``. The visit records hold (station, requested, started, ended) without the
rack; a rack's visits are found by chaining: its first request is its release time and each next
request is the end of its previous visit (a rack asks for the next station as soon as it leaves one).
Racks still in process when the simulated horizon ends have no trail and send no events.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from typing import TYPE_CHECKING

from rackforge.factory.line_status import LineEvent

if TYPE_CHECKING:
    from rackforge.schema import Programme

MATCH_TOLERANCE_H = 1e-6
"""Float tolerance when matching a rack's request time and work time to a visit record [h]."""


def simulated_line_events(programme: Programme, *, weeks: float = 2.0, seed: int | None = None,
                          replication: int = 0) -> list[LineEvent]:
    """Start and finish events of every station visit of the racks that left the line within ``weeks``
    of the first release, in time order (plant clock: the simulation's Monday origin plus its hours)."""
    from rackforge.factory.releases import build_line_plan, require_factory
    from rackforge.factory.sim import simulate_raw

    factory = require_factory(programme)
    plan = build_line_plan(programme, factory, weeks=weeks, warmup_weeks=0.0)
    raw = simulate_raw(plan.spec, factory.simulation.seed if seed is None else seed, replication,
                       record_events=True)
    origin = dt.datetime.combine(plan.t0, dt.time())
    names = [s.id for s in plan.spec.stations]
    # visit records per station, sorted by request time: (requested, started, ended)
    by_station: dict[int, list[tuple[float, float, float]]] = {}
    for station, t_req, t0, t1 in raw.visits.tolist():
        by_station.setdefault(int(station), []).append((t_req, t0, t1))
    for rows in by_station.values():
        rows.sort()
    used: set[tuple[int, int]] = set()
    events: list[LineEvent] = []
    for trail in raw.events:
        index, steps = int(trail[0]), trail[1:]
        serial = f"SIM-{index:05d}"
        t = float(raw.entry_h[index])
        for k in range(0, len(steps), 2):
            station, duration = int(steps[k]), float(steps[k + 1])
            row = _take(by_station.get(station, []), used, station, t, duration)
            if row is None:  # not found (should not happen): stop this rack's events rather than invent any
                break
            _, started, ended = row
            events.append(LineEvent(names[station], "start", origin + dt.timedelta(hours=started), serial))
            events.append(LineEvent(names[station], "finish", origin + dt.timedelta(hours=ended), serial))
            t = ended
    events.sort(key=lambda e: (e.time, e.status != "finish"))
    return events


def _take(rows: list[tuple[float, float, float]], used: set[tuple[int, int]], station: int, t_req: float,
          duration: float) -> tuple[float, float, float] | None:
    """The first unused visit record of ``station`` requested at ``t_req`` with work ``duration`` [h]."""
    i = bisect_left(rows, (t_req - MATCH_TOLERANCE_H,))
    while i < len(rows) and rows[i][0] <= t_req + MATCH_TOLERANCE_H:
        _, started, ended = rows[i]
        if (station, i) not in used and abs((ended - started) - duration) <= MATCH_TOLERANCE_H:
            used.add((station, i))
            return rows[i]
        i += 1
    return None
