#!/usr/bin/env python3
"""Parloir upload load benchmark: concurrent recording apps on loopback.

Starts `parloir serve` (release build) on a fresh data directory, creates a campaign with the
example prompts and as many workers as clients, then each client loops: ask for an assignment,
upload a five-second 16 kHz WAV (unique bytes each time: one sample carries a counter, so no
upload is a duplicate), until the time is up. Every upload is judged and committed before its
answer. Prints uploads per second, upload latency percentiles, and checks afterwards that
every acknowledged take is in the store (the workers' take counts).

Usage: python3 scripts/load.py [--clients 16] [--seconds 20] [--warmup 3]
                              [--database URL --blobs URL --replicas N]
(after `swift build -c release`; needs sox for the test clip)

With --database and --blobs (PostgreSQL and S3, the AWS_* variables set), N replicas run on
them behind HAProxy (deploy/haproxy.cfg) and the clients talk to the balancer;
scripts/load_cluster.sh starts the servers and runs 1, 2 and 4 replicas.
"""
import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PARLOIR = os.path.join(ROOT, ".build", "release", "parloir")


class Connection:
    """One keep-alive HTTP/1.1 connection, as a recording app would hold."""

    def __init__(self, port):
        self.port = port
        self.reader = self.writer = None

    async def request(self, method, path, token, body=b"", content_type=None):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n"
        if content_type:
            head += f"Content-Type: {content_type}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value.strip())
        payload = await self.reader.readexactly(length) if length else b""
        return status, payload


def make_clip(directory):
    """A five-second accepted take: a clean corpus take padded with silence."""
    source = os.path.join(ROOT, "corpora", "samples", "clean_fr-fr_0.wav")
    clip = os.path.join(directory, "clip5s.wav")
    subprocess.run(["sox", source, clip, "pad", "1.2", "1.1"], check=True)
    with open(clip, "rb") as f:
        data = bytearray(f.read())
    return data, data.find(b"data") + 8


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def client(index, port, campaign, tokens, clip, offset, deadline, warmup_end, results, counter):
    connection = Connection(port)
    assignment = None
    token = tokens.pop()
    audio = bytearray(clip)
    while time.perf_counter() < deadline:
        if assignment is None:
            status, body = await connection.request("POST", f"/v1/campaigns/{campaign}/assignments", token)
            if status == 409 and b"no_prompt_available" in body and tokens:
                token = tokens.pop()  # this worker has read every prompt: the next worker takes over
                continue
            if status not in (200, 201):
                results["errors"].append(("assign", status, body[:200]))
                return
            assignment = json.loads(body)["assignment_id"]
        counter[0] += 1
        # One sample in the middle of the speech carries a counter: every upload is new audio.
        struct.pack_into("<i", audio, offset + 40000, counter[0])
        start = time.perf_counter()
        status, body = await connection.request("PUT", f"/v1/assignments/{assignment}/recording", token, bytes(audio), "audio/wav")
        elapsed = time.perf_counter() - start
        if status == 201:
            answer = json.loads(body)
            if start >= warmup_end:
                results["latencies"].append(elapsed)
            results["acknowledged"] += 1
            if answer["verdict"] == "accept" or answer["takes_left"] == 0:
                assignment = None
        else:
            results["errors"].append(("upload", status, body[:200]))
            assignment = None


async def run(args):
    if not os.path.exists(PARLOIR):
        sys.exit("build first: swift build -c release")
    directory = tempfile.mkdtemp(prefix="parloir-load-")
    shared = ["--database", args.database, "--blobs", args.blobs] if args.database else []
    processes = []
    ports = []
    for index in range(args.replicas):
        ports.append(free_port())
        processes.append(subprocess.Popen([PARLOIR, "serve", "--data-dir", os.path.join(directory, f"data{index}"), "--port", str(ports[-1]),
                                           "--log-level", "warning", "--no-rate-limits", "--access-log", "off"] + shared, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for(ports[-1])
    port = ports[0]
    if args.database:
        port = free_port()
        config = os.path.join(directory, "haproxy.cfg")
        with open(os.path.join(ROOT, "deploy", "haproxy.cfg")) as f:
            text = f.read()
        with open(config, "w") as f:
            f.write(text + "".join(f"    server replica-{i} 127.0.0.1:{p} check\n" for i, p in enumerate(ports)))
        processes.append(subprocess.Popen(["haproxy", "-f", config], env=dict(os.environ, PARLOIR_LB_BIND=f"127.0.0.1:{port}"),
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for(port)
        await asyncio.sleep(2.5)  # the balancer's first health checks
    try:
        admin = open(os.path.join(directory, "data0", "admin.token")).read().strip()
        setup = Connection(port)
        spec = ("name: charge\npurpose: Des enregistrements pour mesurer la tenue en charge de Parloir.\n"
                "speakers_per_prompt: 1000\npiece_rate_cents: 12\n").encode()
        _, body = await setup.request("POST", "/v1/campaigns", admin, spec, "application/yaml")
        campaign = json.loads(body)["id"]
        prompts = open(os.path.join(ROOT, "prompts", "assistant-maison", "prompts.tsv"), "rb").read()
        await setup.request("POST", f"/v1/campaigns/{campaign}/prompts", admin, prompts, "text/plain")
        tokens = []
        # Each worker records each of the 460 prompts once: enough workers for the whole run.
        for i in range(args.clients * max(2, int((args.seconds + args.warmup) * 500 / 460 / args.clients) + 2)):
            profile = {"accent": "parisien", "region": "ile-de-france", "gender": "female", "age_band": "25-34",
                       "consent_at": "2026-01-01T00:00:00Z"}
            _, body = await setup.request("POST", "/v1/members", admin, json.dumps({"role": "worker", "profile": profile}).encode(),
                                          "application/json")
            tokens.append(json.loads(body)["token"])
        clip, offset = make_clip(directory)
        results = {"latencies": [], "errors": [], "acknowledged": 0}
        counter = [0]
        begin = time.perf_counter()
        warmup_end = begin + args.warmup
        deadline = warmup_end + args.seconds
        pool = list(tokens)
        await asyncio.gather(*[client(i, port, campaign, pool, clip, offset, deadline, warmup_end, results, counter)
                               for i in range(args.clients)])
        measured = len(results["latencies"])
        latencies = sorted(results["latencies"])

        def pct(p):
            return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000 if latencies else float("nan")

        where = f"{args.replicas} replica(s) on PostgreSQL and S3 behind HAProxy" if args.database else "SQLite and a blob folder"
        print(f"{where}: {args.clients} concurrent clients, {len(clip) / 1000:.0f} KB five-second 16 kHz WAVs, {args.seconds} s measured after {args.warmup} s warm-up:")
        print(f"  uploads judged and committed: {measured} in {args.seconds} s = {measured / args.seconds:.0f} uploads/s" + ("" if args.database else " (target >= 300)"))
        print(f"  upload latency ms: p50 {pct(50):.1f}  p90 {pct(90):.1f}  p99 {pct(99):.1f}  max {pct(100):.1f}" + ("" if args.database else "  (target p99 <= 100)"))
        print(f"  errors: {len(results['errors'])}" + (f" (first: {results['errors'][0]})" if results["errors"] else ""))
        stored = 0
        check = Connection(port)  # the setup connection has been idle longer than a balancer keeps it
        for token in tokens:
            _, body = await check.request("GET", "/v1/me", token)
            stored += sum(json.loads(body)["takes"].values())
        print(f"  acknowledged takes: {results['acknowledged']}; takes in the store: {stored}")
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(timeout=30)
        shutil.rmtree(directory, ignore_errors=True)


def wait_for(port):
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"nothing listens on port {port}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--database", help="postgres://… shared by the replicas (default: each its own SQLite)")
    parser.add_argument("--blobs", help="s3://BUCKET/PREFIX shared by the replicas")
    parser.add_argument("--replicas", type=int, default=1)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
