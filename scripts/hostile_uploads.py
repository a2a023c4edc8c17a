#!/usr/bin/env python3
"""Hostile uploads against a running Parloir: what each costs the server.

Starts `parloir serve` (release build) on a fresh data directory and a free port with the
example campaign, adds consenting workers, and uploads, each to a fresh assignment:
  (a) a 46-byte WAV whose header declares 2 147 483 647 Hz,
  (b) a WAV declaring 1 024 channels (two frames),
  (c) a 1.3 MB FLAC of 100 hours of digital silence (CONSTANT subframes of 65 535 samples).
For each it reports the status, the reason codes, the request's wall time and the server's
added peak resident memory (VmHWM after the request minus VmRSS before it; the peak is reset
through /proc/PID/clear_refs first). Then it sends four such FLACs at once (four workers;
the bytes differ by a PADDING block, so none is a duplicate) while asking GET /healthz every
10 ms, and reports the health check's latency during that window (a burst lasts tens of
milliseconds, so it is repeated --rounds times with new workers, for enough checks).

Targets: each file answered in < 0.5 s with < 50 MB added resident memory; with four at
once /healthz answers in < 50 ms.

Usage: python3 scripts/hostile_uploads.py [--parloir PATH] [--rounds 10]   (default .build/release/parloir)
Standard library only; soxi or ffprobe, when installed, confirm the FLAC's declared length.
"""
import argparse
import collections
import functools
import http.client
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CAMPAIGN = os.path.join(ROOT, "prompts", "assistant-maison", "campaign.yaml")
ACCENTS = ["parisien", "nordiste", "provencal", "toulousain", "alsacien", "breton", "belge", "suisse"]
MB = 1 << 20


# Crafted audio -------------------------------------------------------------------------------

def wav(sample_rate, channels, frames):
    """16-bit PCM WAV of silence whose header declares what it is told, fields computed as a writer would."""
    data_bytes = frames * channels * 2
    return (b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVEfmt " + struct.pack("<IHH", 16, 1, channels)
            + struct.pack("<I", sample_rate) + struct.pack("<I", (sample_rate * channels * 2) & 0xFFFFFFFF)
            + struct.pack("<HH", (channels * 2) & 0xFFFF, 16) + b"data" + struct.pack("<I", data_bytes)
            + bytes(data_bytes))


def _table(width, polynomial):
    top, mask = 1 << (width - 1), (1 << width) - 1
    table = []
    for byte in range(256):
        crc = byte << (width - 8)
        for _ in range(8):
            crc = ((crc << 1) ^ polynomial) & mask if crc & top else (crc << 1) & mask
        table.append(crc)
    return table


CRC8, CRC16 = _table(8, 0x07), _table(16, 0x8005)


def _crc8(data):
    crc = 0
    for byte in data:
        crc = CRC8[crc ^ byte]
    return crc


def _crc16(data):
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ CRC16[(crc >> 8) ^ byte]
    return crc


def _utf8_coded(value):
    """FLAC's "UTF-8" coding of a frame number: n >= 2 bytes carry 5n + 1 bits."""
    if value < 0x80:
        return bytes([value])
    count = 2
    while value >= 1 << (5 * count + 1):
        count += 1
    out = [0] * count
    for index in range(count - 1, 0, -1):
        out[index] = 0x80 | (value & 0x3F)
        value >>= 6
    out[0] = ((0xFF << (8 - count)) & 0xFF) | value
    return bytes(out)


@functools.lru_cache(maxsize=None)
def _silent_frames(frames, block):
    """The audio frames: every frame but its number is the same (fixed block size, size at the
    header's end, 16 kHz, mono, 16 bits), each one CONSTANT subframe of value 0."""
    tail = bytes([(block - 1) >> 8, (block - 1) & 0xFF])
    out = bytearray()
    for number in range(frames):
        head = b"\xff\xf8\x75\x08" + _utf8_coded(number) + tail
        frame = head + bytes([_crc8(head)]) + b"\x00\x00\x00"
        out += frame + _crc16(frame).to_bytes(2, "big")
    return bytes(out)


def silent_flac(seconds, padding=0):
    """Mono 16-bit 16 kHz FLAC of digital silence in frames of 65 535 samples (as
    CraftedAudio.silentFLAC); `padding` > 0 adds a PADDING block of that many bytes, so that
    files of the same audio differ."""
    block = 65535
    frames = (seconds * 16000 + block - 1) // block
    out = bytearray(b"fLaC")
    out += bytes([0x00 if padding else 0x80, 0, 0, 34])  # STREAMINFO, the last block unless padding follows
    out += struct.pack(">HH", block, block) + bytes(6)  # block sizes; frame sizes unknown
    out += struct.pack(">Q", 16000 << 44 | 0 << 41 | 15 << 36 | frames * block)
    out += bytes(16)  # MD5 unknown
    if padding:
        out += bytes([0x81]) + padding.to_bytes(3, "big") + bytes(padding)
    return bytes(out + _silent_frames(frames, block))


def declared_duration(path):
    """Seconds soxi (or ffprobe) reads from the file's header, or None without either tool."""
    for command in (["soxi", "-D", path],
                    ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "default=nw=1:nk=1", path]):
        if shutil.which(command[0]):
            result = subprocess.run(command, capture_output=True, text=True)
            try:
                return command[0], float(result.stdout.strip())
            except ValueError:
                continue
    return None


# The server --------------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, path, token=None, body=None, content_type=None, connection=None):
    """One request (on `connection` if given, else a new one): (status, parsed JSON or raw bytes, seconds)."""
    own = connection is None
    conn = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if content_type:
        headers["Content-Type"] = content_type
    start = time.perf_counter()
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    payload = response.read()
    elapsed = time.perf_counter() - start
    if own:
        conn.close()
    try:
        payload = json.loads(payload)
    except ValueError:
        pass
    return response.status, payload, elapsed


def memory(pid):
    """(VmRSS, VmHWM) of the process, bytes."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0]) * 1024
    return fields["VmRSS"], fields["VmHWM"]


def reset_peak(pid):
    """Sets VmHWM back to the current VmRSS (Linux 4.0+); False when the kernel refuses."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class PeakSampler:
    """Samples VmRSS every millisecond, for kernels where the peak cannot be reset."""

    def __init__(self, pid):
        self.pid, self.peak, self.running = pid, 0, True
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while self.running:
            self.peak = max(self.peak, memory(self.pid)[0])
            time.sleep(0.001)

    def stop(self):
        self.running = False
        self.thread.join()
        return max(self.peak, memory(self.pid)[0])


def measured(pid, action):
    """Runs `action` and returns (its result, peak resident bytes added while it ran)."""
    can_reset = reset_peak(pid)
    before = memory(pid)[0]
    sampler = None if can_reset else PeakSampler(pid)
    result = action()
    peak = memory(pid)[1] if can_reset else sampler.stop()
    return result, max(0, peak - before)


def add_worker(port, admin, index):
    profile = {"accent": ACCENTS[index % len(ACCENTS)], "region": "ile-de-france", "gender": "female" if index % 2 else "male",
               "age_band": "25-34", "native_language": "fr", "consent_at": "2026-01-01T00:00:00Z"}
    status, body, _ = request(port, "POST", "/v1/members", admin, json.dumps({"role": "worker", "profile": profile}).encode(),
                              "application/json")
    if status != 201:
        sys.exit(f"cannot add a worker: {status} {body}")
    return body["token"]


def fresh_assignment(port, campaign, token):
    status, body, _ = request(port, "POST", f"/v1/campaigns/{campaign}/assignments", token)
    if status not in (200, 201):
        sys.exit(f"cannot get an assignment: {status} {body}")
    return body["assignment_id"]


def codes(body):
    if isinstance(body, dict) and "reasons" in body:
        return ",".join(reason["code"] for reason in body["reasons"]) or "-"
    if isinstance(body, dict) and "error" in body:
        return "error " + body["error"]["code"]
    return "?"


def too_long(body):
    for reason in body.get("reasons", []) if isinstance(body, dict) else []:
        if reason["code"] == "too_long":
            return f"too_long value {reason['value']} s (max {reason['threshold']} s)"
    return ""


def run(parloir, rounds):
    directory = tempfile.mkdtemp(prefix="parloir-hostile-")
    data = os.path.join(directory, "data")
    port = free_port()
    server = subprocess.Popen([parloir, "serve", "--data-dir", data, "--port", str(port), "--campaign", CAMPAIGN,
                               "--log-level", "warning", "--no-rate-limits"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                if server.poll() is not None:
                    sys.exit(f"parloir serve exited with {server.returncode}")
                time.sleep(0.05)
        admin = open(os.path.join(data, "admin.token")).read().strip()
        _, listing, _ = request(port, "GET", "/v1/campaigns", admin)
        campaign = next(c["id"] for c in listing["campaigns"] if c["name"] == "assistant-maison")

        flac = silent_flac(100 * 3600)
        flac_path = os.path.join(directory, "silence-100h.flac")
        with open(flac_path, "wb") as f:
            f.write(flac)
        read = declared_duration(flac_path)
        files = [
            ("(a) rate bomb: 2 147 483 647 Hz", wav(2147483647, 1, 1), "audio/wav"),
            ("(b) 1 024 channels, 2 frames", wav(16000, 1024, 2), "audio/wav"),
            ("(c) 100 h of silence, FLAC", flac, "audio/flac"),
        ]
        workers = 0
        rows = []
        for label, audio, content_type in files:
            token = add_worker(port, admin, workers)
            workers += 1
            assignment = fresh_assignment(port, campaign, token)
            (status, body, seconds), added = measured(
                server.pid, lambda: request(port, "PUT", f"/v1/assignments/{assignment}/recording", token, audio, content_type))
            rows.append((label, len(audio), status, codes(body), seconds, added, too_long(body)))

        # Four 100-hour FLACs at once, /healthz every 10 ms on a kept-alive connection meanwhile;
        # a burst is over in tens of milliseconds, so it is repeated for enough health checks.
        answers = []
        health = []
        windows = []
        burst_added = 0
        for round_number in range(rounds):
            uploads = []
            for index in range(4):
                token = add_worker(port, admin, workers)
                workers += 1
                audio = silent_flac(100 * 3600, padding=4 * round_number + index + 1)
                uploads.append((token, fresh_assignment(port, campaign, token), audio))
            window, added = measured(server.pid, lambda: burst(port, uploads, answers, health))
            windows.append(window)
            burst_added = max(burst_added, added)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(directory, ignore_errors=True)
    report(parloir, flac, read, rows, rounds, answers, windows, burst_added, health)


def burst(port, uploads, answers, health):
    """Sends `uploads` at once, each on its own connection, asking /healthz every 10 ms until all
    are answered; appends the answers and (status, seconds) of each check; returns the window."""
    done = [None] * len(uploads)

    def upload(index):
        token, assignment, audio = uploads[index]
        done[index] = request(port, "PUT", f"/v1/assignments/{assignment}/recording", token, audio, "audio/flac")

    threads = [threading.Thread(target=upload, args=(index,)) for index in range(len(uploads))]
    probe = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    request(port, "GET", "/healthz", connection=probe)  # connected before the window opens
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        status, _, seconds = request(port, "GET", "/healthz", connection=probe)
        health.append((status, seconds))
        time.sleep(0.010)
    for thread in threads:
        thread.join()
    probe.close()
    answers += done
    return time.perf_counter() - start


def report(parloir, flac, read, rows, rounds, answers, windows, burst_added, health):
    def verdict(ok):
        return "ok" if ok else "MISSED"

    print(f"parloir: {parloir}  ({os.cpu_count()} cores, analysis threads: the default, one per core)")
    if read:
        print(f"the FLAC: {len(flac) / MB:.2f} MB; {read[0]} reads {read[1]:.0f} s = {read[1] / 3600:.2f} h")
    print()
    print(f"{'upload (fresh assignment each)':34} {'bytes':>9}  {'status':>6}  {'reasons':28} {'time':>9}  {'+RSS peak':>10}   target: < 0.5 s, < 50 MB")
    for label, size, status, reasons, seconds, added, detail in rows:
        ok = seconds < 0.5 and added < 50 * MB and status in (201, 422)
        print(f"{label:34} {size:>9}  {status:>6}  {reasons[:28]:28} {seconds * 1000:>6.1f} ms  {added / MB:>7.1f} MB   {verdict(ok)}")
        if detail:
            print(f"{'':34} {detail}")
    print()
    latencies = sorted(seconds for _, seconds in health)
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] if latencies else float("nan")
    worst = latencies[-1] if latencies else float("nan")
    statuses = ", ".join(f"{count} x {status}" for status, count in sorted(collections.Counter(a[0] for a in answers).items()))
    slowest = max(answer[2] for answer in answers)
    all_ok = all(answer[0] == 201 for answer in answers)
    print(f"four 100 h FLACs at once (four workers), {rounds} times: statuses {statuses}; reasons {codes(answers[0][1])}")
    print(f"  slowest answer {slowest * 1000:.1f} ms, longest window {max(windows) * 1000:.1f} ms, largest +RSS peak {burst_added / MB:.1f} MB"
          f"   {verdict(all_ok and slowest < 0.5 and burst_added < 50 * MB)} (each < 0.5 s, < 50 MB)")
    bad = sum(1 for status, _ in health if status != 200)
    print(f"  /healthz during the window: {len(latencies)} checks, {bad} not 200; p99 {p99 * 1000:.1f} ms, max {worst * 1000:.1f} ms"
          f"   {verdict(bad == 0 and latencies and worst < 0.050)} (target < 50 ms)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parloir", default=os.path.join(ROOT, ".build", "release", "parloir"),
                        help="the parloir executable (default: .build/release/parloir)")
    parser.add_argument("--rounds", type=int, default=10, help="bursts of four FLACs (default 10)")
    args = parser.parse_args()
    parloir = os.path.abspath(args.parloir)
    if not os.path.exists(parloir):
        sys.exit(f"no {parloir}: build first (swift build -c release --product parloir)")
    run(parloir, max(1, args.rounds))


if __name__ == "__main__":
    main()
