"""Line board and web pages under load, against a real ``rackforge serve`` (SQLite) on loopback.

1. Event-to-screen latency: N clients (default 200) hold the board's server-sent event stream open while
   the line posts E events per second (default 20) for D seconds, one event per request as station PCs
   would. For every (event, client) pair the latency is the time from just before the event's POST to
   the client's receipt of the first board whose ``seq`` (newest event id it includes) reaches the
   event's id. Clients run in a separate process from the poster, on raw asyncio streams.
2. Programme page: time to the full response of ``GET /programmes/{id}`` for a signed-in user (the
   reference programme, its audit log and runs), the first request of a new session and then repeated.

Reports wall time and the server process's CPU time (from /proc) for the run. Usage:

    PYTHONPATH=src python benchmarks/line_board.py [--clients 200] [--rate 20] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "web"))

SEQ = re.compile(rb'"seq":(\d+)')


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its reaped children [s] (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / ticks


async def _client(host: str, port: int, path: str, cookie: str, receipts: list[tuple[int, float]], ready: Any,
                  target: Any, deadline: float) -> None:
    """One panel: a raw HTTP/1.1 stream (cheap enough that 200 of them keep up on a loaded machine); the
    newest ``seq`` in each chunk received is recorded with the time of receipt."""
    reader, writer = await asyncio.open_connection(host, port)
    writer.write((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n"
                  f"Cookie: {cookie}\r\n\r\n").encode())
    await writer.drain()
    ready()
    tail = b""
    best = 0
    try:
        while time.time() < deadline:
            chunk = await asyncio.wait_for(reader.read(1 << 16), max(0.1, deadline - time.time()))
            if not chunk:
                break
            now = time.time()
            found = [int(m) for m in SEQ.findall(tail + chunk)]
            tail = chunk[-32:]
            if found and max(found) > best:
                best = max(found)
                receipts.append((best, now))
            if target.value and best >= target.value:
                break
    except TimeoutError:
        pass
    finally:
        writer.close()


def clients_process(url: str, cookies: dict[str, str], n: int, seconds: float, connected: Any, out: Any,
                    target: Any) -> None:
    """Run ``n`` SSE clients until each has seen the last event (``target``) or ``seconds`` pass; send their
    receipts to ``out``."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())

    async def main() -> list[list[tuple[int, float]]]:
        receipts: list[list[tuple[int, float]]] = [[] for _ in range(n)]
        count = 0

        def ready() -> None:
            nonlocal count
            count += 1
            if count == n:
                connected.set()

        deadline = time.time() + seconds
        await asyncio.gather(*(_client(parts.hostname or "127.0.0.1", parts.port or 80, parts.path, cookie,
                                       receipts[i], ready, target, deadline) for i in range(n)),
                             return_exceptions=True)
        return receipts

    out.send(asyncio.run(main()))


async def post_events(server: Any, rate: float, seconds: float) -> list[tuple[int, float]]:
    """Post one event per request at ``rate`` per second, each at its own due time (a slow answer does not
    delay the next post: the line's stations post independently); returns (event id, time before its POST)."""
    import httpx

    url = f"{server.url}/api/programmes/{server.programme_id}/line-events"
    headers = {"Authorization": f"Bearer {server.station_token}"}
    stations = ["l10-cell", "l11-cell", "leak-rig", "power-on", "burn-in-bay", "fabric-bay", "pack-ship"]

    async def post(http: httpx.AsyncClient, k: int) -> tuple[int, float]:
        station = stations[k % len(stations)]
        serial = f"BENCH-{k // (2 * len(stations)):05d}-{k % len(stations)}"
        status = "start" if (k // len(stations)) % 2 == 0 else "finish"
        when = f"2027-03-03T{8 + (k // 3600) % 10:02d}:{(k // 60) % 60:02d}:{k % 60:02d}"
        t = time.time()
        answer = await http.post(url, json={"events": [{"station": station, "status": status, "serial": serial,
                                                          "time": when}]})
        answer.raise_for_status()
        return int(answer.json()["last_id"]), t

    async with httpx.AsyncClient(headers=headers, timeout=30,
                                 limits=httpx.Limits(max_connections=50)) as http:
        start = time.monotonic()
        tasks = []
        for k in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, start + k / rate - time.monotonic()))
            tasks.append(asyncio.create_task(post(http, k)))
        return list(await asyncio.gather(*tasks))


def latencies(sent: list[tuple[int, float]], receipts: list[list[tuple[int, float]]]) -> tuple[list[float], int]:
    """Per (event, client): first receipt with seq >= the event's id minus the post time [s]; and how many
    pairs were never received."""
    out: list[float] = []
    missing = 0
    for client in receipts:
        client.sort()
        seqs = [s for s, _ in client]
        # earliest receipt time among boards with seq >= id: suffix minimum of times
        suffix: list[float] = [0.0] * len(client)
        best = float("inf")
        for i in range(len(client) - 1, -1, -1):
            best = min(best, client[i][1])
            suffix[i] = best
        import bisect

        for event_id, posted in sent:
            i = bisect.bisect_left(seqs, event_id)
            if i == len(seqs):
                missing += 1
            else:
                out.append(suffix[i] - posted)
    return out, missing


def signed_in_cookies(server: Any) -> dict[str, str]:
    import httpx
    from liveserver import PASSWORD

    with httpx.Client(base_url=server.url) as http:
        page = http.get("/signin")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        http.post("/signin", data={"csrf": csrf.group(1), "name": "ann", "password": PASSWORD})
        return dict(http.cookies)


def page_times(server: Any, repeat: int = 20) -> tuple[float, list[float]]:
    """(first load of a new session, later loads) of the programme page [s]."""
    import httpx

    cookies = signed_in_cookies(server)
    path = f"/programmes/{server.programme_id}"
    with httpx.Client(base_url=server.url, cookies=cookies) as http:
        t = time.perf_counter()
        assert http.get(path).status_code == 200
        first = time.perf_counter() - t
        later = []
        for _ in range(repeat):
            t = time.perf_counter()
            assert http.get(path).status_code == 200
            later.append(time.perf_counter() - t)
    return first, later


def main() -> None:
    from liveserver import LiveServer

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    server = LiveServer(Path(tempfile.mkdtemp(prefix="rackforge-bench-")) / "data", workers=0)
    server.prepare()
    server.start()
    try:
        server.seed()
        assert server.process is not None
        first, later = page_times(server)
        cookies = signed_in_cookies(server)
        url = f"{server.url}/api/programmes/{server.programme_id}/line-board/events"
        connected = mp.Event()
        receiver, sender = mp.Pipe(duplex=False)
        target = mp.Value("q", 0)
        clients = mp.Process(target=clients_process, args=(url, cookies, args.clients, args.seconds + 60, connected,
                                                           sender, target))
        clients.start()
        if not connected.wait(60):
            raise SystemExit("the clients did not all connect within 60 s")
        time.sleep(1.0)
        cpu0, wall0 = cpu_seconds(server.process.pid), time.perf_counter()
        sent = asyncio.run(post_events(server, args.rate, args.seconds))
        wall = time.perf_counter() - wall0
        cpu = cpu_seconds(server.process.pid) - cpu0
        target.value = max(i for i, _ in sent)
        receipts = receiver.recv()
        clients.join(30)
        lat, missing = latencies(sent, receipts)
        lat.sort()
        p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]  # noqa: E731
        result = {
            "clients": args.clients, "events": len(sent), "rate_per_s": round(len(sent) / args.seconds, 2),
            "pairs": len(lat), "missing_pairs": missing,
            "latency_s": {"p50": round(p(0.50), 3), "p95": round(p(0.95), 3), "p99": round(p(0.99), 3),
                          "max": round(lat[-1], 3)},
            "boards_per_client": round(statistics.mean(len(r) for r in receipts), 1),
            "server_cpu_s": round(cpu, 2), "wall_s": round(wall, 2),
            "programme_page_s": {"first": round(first, 4), "median": round(statistics.median(later), 4),
                                 "max": round(max(later), 4)},
            "load_average": os.getloadavg(),
        }
        print(json.dumps(result, indent=2))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
