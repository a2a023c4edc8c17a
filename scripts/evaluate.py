#!/usr/bin/env python3
"""Parloir DSP accuracy report: `parloir analyze --json` on the sample corpus against its truth
(corpora/samples/manifest.json) and against `sox stats`.

Prints, per figure, the largest error over the corpus, and the verdict agreement.
Usage: python3 scripts/evaluate.py   (after `swift build -c release`)
"""
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = os.path.join(ROOT, "corpora", "samples")
PARLOIR = os.path.join(ROOT, ".build", "release", "parloir")


def sox_stats(path):
    err = subprocess.run(["sox", path, "-n", "stats"], capture_output=True, text=True).stderr
    stats = {}
    for line in err.splitlines():
        match = re.match(r"^(.*?)\s+(-?[0-9.]+k?)$", line.strip())
        if match:
            value = match.group(2)
            stats[match.group(1)] = float(value[:-1]) * 1000 if value.endswith("k") else float(value)
    return stats


def main():
    if not os.path.exists(PARLOIR):
        sys.exit("build first: swift build -c release")
    manifest = {e["file"]: e for e in json.load(open(os.path.join(SAMPLES, "manifest.json")))["files"]}
    out = subprocess.run([PARLOIR, "analyze", "--json", "--full-length", SAMPLES], capture_output=True, text=True, check=True).stdout
    reports = {os.path.basename(json.loads(l)["file"]): json.loads(l) for l in out.splitlines()}

    verdicts = sum(reports[f]["verdict"] == e["verdict"] for f, e in manifest.items())
    reasons = sum(sorted([r["code"], r["severity"]] for r in reports[f]["reasons"]) == sorted(e["reasons"])
                  for f, e in manifest.items())
    print(f"files: {len(manifest)}; verdicts as expected: {verdicts}; reason lists as expected: {reasons}")

    def worst(key, select=lambda e: True):
        rows = [(abs(reports[f]["metrics"][key] - e["truth"][key]), f) for f, e in manifest.items()
                if key in e["truth"] and select(e) and reports[f]["metrics"][key] is not None]
        return max(rows) if rows else (float("nan"), "-")

    print("largest error against the truth:")
    for label, key, select in [
        ("SNR, dB (white, pink, brown noise, 5-30 dB)", "snr_db", lambda e: e["file"].startswith("snr_")),
        ("SNR, dB (no pause: blind WADA estimate)", "snr_db", lambda e: e["file"].startswith("cut_")),
        ("leading silence, s (SNR >= 10 dB)", "leading_silence_s", lambda e: e["truth"].get("snr_db", 99) >= 10),
        ("trailing silence, s (SNR >= 10 dB)", "trailing_silence_s", lambda e: e["truth"].get("snr_db", 99) >= 10),
        ("leading silence, s (SNR 5 dB)", "leading_silence_s", lambda e: e["truth"].get("snr_db", 99) < 10),
        ("DC offset", "dc_offset", lambda e: True),
        ("duration, s", "duration_s", lambda e: True),
    ]:
        error, name = worst(key, select)
        print(f"  {label:48} {error:8.3f}   ({name})")

    print("clipping against sox stats (hard-clipped files):")
    for f in sorted(f for f in manifest if f.startswith("clipped_")):
        stats = sox_stats(os.path.join(SAMPLES, f))
        m = reports[f]["metrics"]
        ours = round(m["clipped_fraction"] * m["duration_s"] * m["sample_rate"])
        print(f"  {f:24} samples in clipped runs {ours:6d}   sox Pk count {stats['Pk count']:7.0f}   "
              f"runs {m['clipped_runs']:5d}   sox flat factor {stats['Flat factor']:.2f} dB")


if __name__ == "__main__":
    main()
