#!/usr/bin/env python3
"""Parloir under slow and stalled clients: what a few hundred bad sockets cost everyone else.

Starts `parloir serve` (release build, default timeouts, rate limits off since this measures
connections, not budgets) on a fresh data directory, then:
  1. baseline: 16 recording apps loop assignment + five-second upload (as scripts/load.py) for
     --seconds; uploads per second;
  2. attack: 500 clients that send a request head a byte at a time (one every 2 s, reconnecting
     when cut) and 50 uploads that send their head and 64 KB of a declared 500 KB body, then
     nothing (reconnecting when cut), held open while the 16 apps run again and /healthz is
     asked every 100 ms; uploads per second (target >= 80 % of the baseline) and /healthz
     latency (target < 100 ms);
  3. SIGTERM with the stalled uploads still open: seconds until the process exits (target
     <= the shutdown grace, 10 s, + 1 s).

Usage: python3 scripts/slow_clients.py [--seconds 15] [--slow 500] [--stalled 50]
(after `swift build -c release`; needs sox for the test clip)
"""
import argparse
import asyncio
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import load  # noqa: E402  (the recording-app client and the setup are load.py's)

GRACE = 10.0


async def slow_header(port, stop, held):
    """Sends a request head one byte every 2 s; reconnects when the server cuts it."""
    head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 4000
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.5)
            continue
        held[0] += 1
        try:
            for byte in head:
                if stop.is_set():
                    break
                writer.write(bytes([byte]))
                await writer.drain()
                try:
                    if await asyncio.wait_for(reader.read(1), timeout=2.0) == b"":
                        break  # cut by the server
                except asyncio.TimeoutError:
                    pass
        except (ConnectionError, OSError):
            pass
        finally:
            held[0] -= 1
            writer.close()


async def stalled_upload(port, stop, held, token, assignment):
    """Sends an upload's head and 64 KB of a 500 KB body, then nothing; reconnects when cut."""
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.5)
            continue
        held[0] += 1
        try:
            writer.write((f"PUT /v1/assignments/{assignment}/recording HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          f"Authorization: Bearer {token}\r\nContent-Type: audio/wav\r\nContent-Length: 500000\r\n\r\n").encode()
                         + b"\0" * 65536)
            await writer.drain()
            while not stop.is_set():
                try:
                    if await asyncio.wait_for(reader.read(65536), timeout=1.0) == b"":
                        break
                except asyncio.TimeoutError:
                    pass
        except (ConnectionError, OSError):
            pass
        finally:
            held[0] -= 1
            writer.close()


async def probe_health(port, stop, latencies):
    connection = load.Connection(port)
    while not stop.is_set():
        start = time.perf_counter()
        try:
            status, _ = await connection.request("GET", "/healthz", "none")
            if status == 200:
                latencies.append(time.perf_counter() - start)
        except (ConnectionError, OSError, asyncio.IncompleteReadError):
            connection = load.Connection(port)
        await asyncio.sleep(0.1)


async def uploads_per_second(port, campaign, tokens, clip, offset, seconds, counter):
    results = {"latencies": [], "errors": [], "acknowledged": 0}
    begin = time.perf_counter()
    await asyncio.gather(*[load.client(i, port, campaign, tokens, clip, offset, begin + seconds + 1, begin + 1, results, counter)
                           for i in range(16)])
    return len(results["latencies"]) / seconds, results["errors"]


async def run(args):
    if not os.path.exists(load.PARLOIR):
        sys.exit("build first: swift build -c release")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4096)), hard))
    directory = tempfile.mkdtemp(prefix="parloir-slow-")
    port = load.free_port()
    server = subprocess.Popen([load.PARLOIR, "serve", "--data-dir", os.path.join(directory, "data"), "--port", str(port),
                               "--log-level", "warning", "--no-rate-limits", "--access-log", "off",
                               "--shutdown-grace", str(GRACE)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        load.wait_for(port)
        admin = open(os.path.join(directory, "data", "admin.token")).read().strip()
        setup = load.Connection(port)
        spec = ("name: lenteur\npurpose: Des enregistrements pour mesurer la tenue de Parloir face aux clients lents.\n"
                "speakers_per_prompt: 1000\npiece_rate_cents: 12\nassignment_minutes: 60\n").encode()
        _, body = await setup.request("POST", "/v1/campaigns", admin, spec, "application/yaml")
        campaign = load.json.loads(body)["id"]
        prompts = open(os.path.join(load.ROOT, "prompts", "assistant-maison", "prompts.tsv"), "rb").read()
        await setup.request("POST", f"/v1/campaigns/{campaign}/prompts", admin, prompts, "text/plain")
        profile = {"accent": "parisien", "region": "ile-de-france", "gender": "female", "age_band": "25-34",
                   "consent_at": "2026-01-01T00:00:00Z"}
        tokens = []
        for _ in range(16 * max(4, int(args.seconds * 2 * 600 / 460 / 16) + 2) + args.stalled):
            _, body = await setup.request("POST", "/v1/members", admin,
                                          load.json.dumps({"role": "worker", "profile": profile}).encode(), "application/json")
            tokens.append(load.json.loads(body)["token"])
        stalled_workers = [tokens.pop() for _ in range(args.stalled)]
        assignments = []
        for token in stalled_workers:
            _, body = await setup.request("POST", f"/v1/campaigns/{campaign}/assignments", token)
            assignments.append(load.json.loads(body)["assignment_id"])
        clip, offset = load.make_clip(directory)
        counter = [0]

        baseline, errors = await uploads_per_second(port, campaign, tokens, clip, offset, args.seconds, counter)
        print(f"16 recording apps alone: {baseline:.0f} uploads/s ({len(errors)} errors)")

        stop = asyncio.Event()
        slow_held, stalled_held = [0], [0]
        attackers = [asyncio.create_task(slow_header(port, stop, slow_held)) for _ in range(args.slow)]
        attackers += [asyncio.create_task(stalled_upload(port, stop, stalled_held, token, assignment))
                      for token, assignment in zip(stalled_workers, assignments)]
        await asyncio.sleep(3)
        print(f"held open: {slow_held[0]} slow heads, {stalled_held[0]} stalled uploads")
        health = []
        prober = asyncio.create_task(probe_health(port, stop, health))
        attacked, errors = await uploads_per_second(port, campaign, tokens, clip, offset, args.seconds, counter)
        held = (slow_held[0], stalled_held[0])
        health.sort()

        def pct(p):
            return health[min(len(health) - 1, int(p / 100 * len(health)))] * 1000 if health else float("nan")

        print(f"the same 16 apps with {held[0]} slow heads and {held[1]} stalled uploads held open: {attacked:.0f} uploads/s "
              f"= {100 * attacked / baseline:.0f} % of the baseline (target >= 80 %; {len(errors)} errors)")
        print(f"/healthz meanwhile ({len(health)} probes): p50 {pct(50):.1f} ms  p99 {pct(99):.1f} ms  max {pct(100):.1f} ms (target < 100 ms)")

        # SIGTERM while the stalled uploads (and the slow heads) are still open.
        await asyncio.sleep(1)
        print(f"at SIGTERM: {slow_held[0]} slow heads, {stalled_held[0]} stalled uploads open")
        start = time.perf_counter()
        server.send_signal(signal.SIGTERM)
        while server.poll() is None and time.perf_counter() - start < 60:
            await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - start
        print(f"SIGTERM to exit: {elapsed:.2f} s (target <= grace {GRACE:.0f} s + 1 s), exit status {server.returncode}")
        stop.set()
        prober.cancel()
        for task in attackers:
            task.cancel()
        await asyncio.gather(*attackers, prober, return_exceptions=True)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        shutil.rmtree(directory, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--slow", type=int, default=500)
    parser.add_argument("--stalled", type=int, default=50)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
