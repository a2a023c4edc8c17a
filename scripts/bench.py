#!/usr/bin/env python3
"""Parloir DSP benchmark: `parloir analyze` side by side with `sox FILE -n stats`.

Makes its inputs under bench-data/ (ignored by git) from the sample corpus:
- one hour of 16 kHz mono speech (corpus takes end to end, with their pauses, over faint
  pink noise), analysed with every check, against `sox stats` on the same file;
- a batch of 1,000 five-second clips, against `sox stats` run over the same clips.
Each timing is the median of several runs; peak memory is the largest resident set seen.

Usage: python3 scripts/bench.py [--runs N]   (after `swift build -c release`)
"""
import argparse
import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "bench-data")
PARLOIR = os.path.join(ROOT, ".build", "release", "parloir")


def timed(cmd):
    """Wall seconds and peak resident memory (MB) of one run, through GNU time."""
    with tempfile.NamedTemporaryFile("r") as report:
        subprocess.run(["/usr/bin/time", "-o", report.name, "-f", "%e %M"] + cmd, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall, rss = report.read().split()[-2:]
    return float(wall), int(rss) / 1024


def median_run(cmd, runs):
    results = [timed(cmd) for _ in range(runs)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def make_inputs():
    os.makedirs(DATA, exist_ok=True)
    hour = os.path.join(DATA, "hour_16k.wav")
    if not os.path.exists(hour):
        takes = sorted(glob.glob(os.path.join(ROOT, "corpora", "samples", "clean_*.wav")))
        takes += sorted(glob.glob(os.path.join(ROOT, "corpora", "samples", "snr_*_30db.wav")))
        speech = os.path.join(DATA, "speech.wav")
        subprocess.run(["sox"] + takes + [speech], check=True)
        length = float(subprocess.run(["soxi", "-D", speech], check=True, capture_output=True, text=True).stdout)
        repeats = int(3600 / length) + 1
        looped = os.path.join(DATA, "looped.wav")
        subprocess.run(["sox", speech, looped, "repeat", str(repeats), "trim", "0", "3600"], check=True)
        noise = os.path.join(DATA, "noise.wav")
        subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", "-b", "16", noise, "synth", "3600", "pinknoise", "vol", "0.003"], check=True)
        subprocess.run(["sox", "-m", looped, noise, "-b", "16", hour], check=True)
        for path in (speech, looped, noise):
            os.remove(path)
    clips = os.path.join(DATA, "clips")
    if not os.path.isdir(clips) or len(os.listdir(clips)) != 1000:
        shutil.rmtree(clips, ignore_errors=True)
        os.makedirs(clips)
        sources = sorted(glob.glob(os.path.join(ROOT, "corpora", "samples", "snr_*.wav")))
        sources += sorted(glob.glob(os.path.join(ROOT, "corpora", "samples", "clean_*.wav")))
        bases = []
        for i, source in enumerate(sources):
            base = os.path.join(DATA, f"base_{i}.wav")
            padded = base + ".padded.wav"
            subprocess.run(["sox", source, padded, "pad", "0", "5"], check=True)
            subprocess.run(["sox", padded, base, "trim", "0", "5"], check=True)
            os.remove(padded)
            bases.append(base)
        for i in range(1000):
            shutil.copyfile(bases[i % len(bases)], os.path.join(clips, f"clip_{i:04d}.wav"))
        for base in bases:
            os.remove(base)
    return hour, clips


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not os.path.exists(PARLOIR):
        sys.exit("build first: swift build -c release")
    hour, clips = make_inputs()
    clip_files = sorted(glob.glob(os.path.join(clips, "*.wav")))
    cores = os.cpu_count()

    # Runs alternate between the two tools so that both see the same machine load; the ratio
    # is the median of the ratios of each pair.
    timed([PARLOIR, "analyze", "--json", "--full-length", hour])
    pairs = [(timed([PARLOIR, "analyze", "--json", "--full-length", hour]), timed(["sox", hour, "-n", "stats"])) for _ in range(args.runs)]
    p_time = statistics.median(p[0][0] for p in pairs)
    s_time = statistics.median(p[1][0] for p in pairs)
    p_mem = max(p[0][1] for p in pairs)
    s_mem = max(p[1][1] for p in pairs)
    ratio = statistics.median(p[0][0] / p[1][0] for p in pairs)
    print(f"one hour of 16 kHz mono speech ({os.path.getsize(hour) / 1e6:.0f} MB WAV), median of {args.runs} alternating runs:")
    print(f"  parloir analyze  {p_time:6.2f} s   peak memory {p_mem:5.1f} MB")
    print(f"  sox stats        {s_time:6.2f} s   peak memory {s_mem:5.1f} MB")
    print(f"  ratio parloir/sox: {ratio:.2f}  (target <= 1.0; memory target <= 64 MB)")

    b_time, b_mem = median_run([PARLOIR, "analyze", "--json", clips], args.runs)
    script = "for f in \"$@\"; do sox \"$f\" -n stats 2>/dev/null; done"
    x_time, _ = median_run(["bash", "-c", script, "sox-loop"] + clip_files, max(1, args.runs // 2))
    print(f"batch of 1,000 five-second clips on {cores} cores, median of {args.runs} runs:")
    print(f"  parloir analyze  {b_time:6.2f} s   peak memory {b_mem:5.1f} MB   (target < 1 s)")
    print(f"  sox stats, one process per clip, one core: {x_time:.2f} s")


if __name__ == "__main__":
    main()
