"""``rackforge line replay``: the events of one simulated replication (every visit of every rack that left
the line, chained in time) posted to a real server, where the board then shows the line's last event."""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from rackforge.factory.line_replay import simulated_line_events
from rackforge.factory.releases import build_line_plan
from rackforge.factory.sim import simulate_raw
from rackforge.io.loader import load_programme


def test_every_visit_of_every_finished_rack_becomes_a_start_and_a_finish_in_order() -> None:
    programme = load_programme()
    events = simulated_line_events(programme, weeks=2.0)
    assert programme.factory is not None
    plan = build_line_plan(programme, programme.factory, weeks=2.0, warmup_weeks=0.0)
    raw = simulate_raw(plan.spec, programme.factory.simulation.seed, 0, record_events=True)
    visits = sum((len(trail) - 1) // 2 for trail in raw.events)
    assert len(events) == 2 * visits > 0  # every recorded visit was matched to its record
    by_serial: dict[str | None, list[Any]] = defaultdict(list)
    for e in events:
        by_serial[e.serial].append(e)
    assert len(by_serial) == len(raw.events)
    stations = {s.id for s in programme.factory.stations}
    for serial_events in by_serial.values():
        kinds = [e.status for e in serial_events]
        assert kinds == ["start", "finish"] * (len(kinds) // 2)  # one station at a time
        times = [e.time for e in serial_events]
        assert times == sorted(times)  # a rack starts at the next station after it finished the last one
        assert {e.station for e in serial_events} <= stations
    assert [e.time for e in events] == sorted(e.time for e in events)


def test_replay_posts_to_a_server_and_the_board_follows(tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from liveserver import LiveServer

    server = LiveServer(tmp_path / "data")
    server.prepare()
    server.start()
    try:
        server.seed()
        result = subprocess.run(
            [sys.executable, "-m", "rackforge", "line", "replay", "--server", server.url, "--token",
             server.station_token, "--programme-id", str(server.programme_id), "--speed", "1e7", "--weeks", "1"],
            capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        posted = int(result.stderr.strip().splitlines()[-1].split()[1])
        board: Any = server.api("GET", f"/api/programmes/{server.programme_id}/line-board")
        events = simulated_line_events(load_programme(), weeks=1.0)
        assert posted == len(events) and board["last_event"] == events[-1].time.isoformat(timespec="seconds")
        bad = subprocess.run(
            [sys.executable, "-m", "rackforge", "line", "replay", "--server", server.url, "--token", "rfs_x_y",
             "--programme-id", str(server.programme_id), "--weeks", "1"], capture_output=True, text=True, timeout=120)
        assert bad.returncode == 2 and "401" in bad.stderr and "Traceback" not in bad.stderr
    finally:
        server.stop()
