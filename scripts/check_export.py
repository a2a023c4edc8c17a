#!/usr/bin/env python3
"""Reads a Parloir export back with Python's standard library only, checks it, and prints a summary.

Usage: python3 scripts/check_export.py FORMAT DIR      (FORMAT: commonvoice, kaldi, nemo, lhotse)

Independent of Parloir's own code: TSV through `csv`, JSON lines through `json`, gzip through
`gzip`, WAV headers through `struct`. Checks, for every format: every listed clip exists; WAV clips
have the declared rate and length; no speaker is in two splits; SHA256SUMS matches. Kaldi data
dirs are held to the rules of Kaldi's utils/validate_data_dir.sh (C-locale sorting, one entry per
utterance in text/wav.scp/utt2spk, spk2utt the inverse of utt2spk, utterance ids that start with
their speaker id, spk2gender with m or f for every speaker). Prints a JSON summary; exits 1 with
the problems found.
"""
import csv
import gzip
import hashlib
import json
import os
import struct
import sys

SPLITS = ["train", "dev", "test"]
problems = []


def problem(text):
    problems.append(text)


def wav_info(path):
    """(rate, frames, channels, bytes per sample) from the RIFF header, for PCM, float and extensible WAV."""
    with open(path, "rb") as handle:
        header = handle.read(12)
        if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            return None
        rate = channels = width = None
        while True:
            chunk = handle.read(8)
            if len(chunk) < 8:
                return None
            name, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if name == b"fmt ":
                body = handle.read(size + size % 2)
                _, channels, rate = struct.unpack("<HHI", body[:8])
                width = struct.unpack("<H", body[14:16])[0] // 8
            elif name == b"data":
                if not rate or not channels or not width:
                    return None
                return rate, size // (channels * width), channels, width
            else:
                handle.seek(size + size % 2, 1)


def check_clip(path, rate=None, frames=None, duration=None):
    if not os.path.isfile(path):
        problem(f"missing clip {path}")
        return
    if not path.endswith(".wav"):
        return
    try:
        info = wav_info(path)
    except (OSError, struct.error):
        info = None
    if info is None:
        problem(f"{path} is not a readable WAV")
        return
    got_rate, got_frames, channels, width = info
    if rate is not None and got_rate != rate:
        problem(f"{path}: {got_rate} Hz, manifest says {rate}")
    if frames is not None and got_frames != frames:
        problem(f"{path}: {got_frames} frames, manifest says {frames}")
    if duration is not None and abs(got_frames / got_rate - duration) > 0.002:
        problem(f"{path}: {got_frames / got_rate:.3f} s, manifest says {duration}")


def c_sorted(lines):
    return sorted(lines, key=lambda line: line.encode("utf-8"))


def read_lines(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read().splitlines()


def check_sums(root):
    sums = os.path.join(root, "SHA256SUMS")
    listed = set()
    for line in read_lines(sums):
        digest, name = line.split("  ", 1)
        listed.add(name)
        with open(os.path.join(root, name), "rb") as handle:
            if hashlib.sha256(handle.read()).hexdigest() != digest:
                problem(f"SHA256SUMS: {name} does not match")
    on_disk = {os.path.relpath(os.path.join(d, f), root) for d, _, files in os.walk(root) for f in files} - {"SHA256SUMS"}
    if on_disk != listed:
        problem(f"SHA256SUMS lists {len(listed)} files, the export has {len(on_disk)}")


def commonvoice(root):
    base = os.path.join(root, "fr")
    columns = ["client_id", "path", "sentence", "sentence_id", "sentence_domain", "up_votes", "down_votes", "age", "gender",
               "accents", "variant", "locale", "segment"]
    splits = {}
    for name in SPLITS + ["validated", "invalidated"]:
        with open(os.path.join(base, f"{name}.tsv"), encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            if reader.fieldnames != columns:
                problem(f"{name}.tsv has columns {reader.fieldnames}")
            rows = list(reader)
        for row in rows:
            check_clip(os.path.join(base, "clips", row["path"]))
            if row["locale"] != "fr":
                problem(f"{name}.tsv: locale {row['locale']}")
        splits[name] = [(row["client_id"], row["path"], row["sentence"]) for row in rows]
    durations = {}
    with open(os.path.join(base, "clip_durations.tsv"), encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        if reader.fieldnames != ["clip", "duration[ms]"]:
            problem(f"clip_durations.tsv has columns {reader.fieldnames}")
        for row in reader:
            durations[row["clip"]] = int(row["duration[ms]"])
    for name in SPLITS:
        for _, path, _ in splits[name]:
            if path not in durations:
                problem(f"clip_durations.tsv lacks {path}")
    validated = {path for _, path, _ in splits["validated"]}
    for name in SPLITS:
        if not {path for _, path, _ in splits[name]} <= validated:
            problem(f"{name}.tsv has clips outside validated.tsv")
    return {name: [(speaker, path) for speaker, path, _ in rows] for name, rows in splits.items() if name in SPLITS}


def kaldi(root):
    result = {}
    for split in SPLITS:
        folder = os.path.join(root, split)
        files = {}
        for name in ["text", "wav.scp", "utt2spk", "spk2utt"]:
            lines = read_lines(os.path.join(folder, name))
            if lines != c_sorted(lines):
                problem(f"{split}/{name} is not sorted in the C locale")
            keys = [line.split(" ", 1)[0] for line in lines]
            if len(keys) != len(set(keys)):
                problem(f"{split}/{name} has duplicate keys")
            files[name] = dict(line.split(" ", 1) if " " in line else (line, "") for line in lines)
        utts = set(files["utt2spk"])
        for name in ["text", "wav.scp"]:
            if set(files[name]) != utts:
                problem(f"{split}/{name} and utt2spk list different utterances")
        inverse = {}
        for utt, spk in files["utt2spk"].items():
            inverse.setdefault(spk, []).append(utt)
            if not utt.startswith(spk):
                problem(f"{split}: utterance {utt} does not start with its speaker {spk}")
        for spk, utts_of in files["spk2utt"].items():
            if sorted(utts_of.split(), key=str.encode) != sorted(inverse.get(spk, []), key=str.encode):
                problem(f"{split}/spk2utt: {spk} is not the inverse of utt2spk")
        if set(files["spk2utt"]) != set(inverse):
            problem(f"{split}/spk2utt and utt2spk list different speakers")
        gender_path = os.path.join(folder, "spk2gender")
        if os.path.exists(gender_path):
            genders = dict(line.split(" ", 1) for line in read_lines(gender_path))
            if set(genders) != set(inverse) or not set(genders.values()) <= {"m", "f"}:
                problem(f"{split}/spk2gender must give m or f for every speaker")
        for utt, path in files["wav.scp"].items():
            check_clip(path)
        result[split] = [(spk, utt) for utt, spk in files["utt2spk"].items()]
    return result


def nemo(root):
    result = {}
    for split in SPLITS:
        rows = [json.loads(line) for line in read_lines(os.path.join(root, f"{split}_manifest.jsonl"))]
        for row in rows:
            for key in ["audio_filepath", "duration", "text", "pred_text", "snr_db", "speaker", "accent"]:
                if key not in row:
                    problem(f"{split}_manifest.jsonl lacks {key}")
            check_clip(row["audio_filepath"], duration=row["duration"])
        result[split] = [(row["speaker"], row["audio_filepath"]) for row in rows]
    return result


def lhotse(root):
    result = {}
    for split in SPLITS:
        with gzip.open(os.path.join(root, f"parloir_recordings_{split}.jsonl.gz"), "rt", encoding="utf-8") as handle:
            recordings = {row["id"]: row for row in map(json.loads, handle)}
        with gzip.open(os.path.join(root, f"parloir_supervisions_{split}.jsonl.gz"), "rt", encoding="utf-8") as handle:
            supervisions = [json.loads(line) for line in handle]
        for recording in recordings.values():
            source = recording["sources"][0]
            if source["type"] != "file" or source["channels"] != [0]:
                problem(f"recording {recording['id']}: unexpected source {source}")
            check_clip(source["source"], rate=recording["sampling_rate"], frames=recording["num_samples"])
            if abs(recording["num_samples"] / recording["sampling_rate"] - recording["duration"]) > 1e-6:
                problem(f"recording {recording['id']}: duration and num_samples disagree")
        for supervision in supervisions:
            for key in ["id", "recording_id", "start", "duration", "channel", "text", "language", "speaker", "gender", "custom"]:
                if key not in supervision:
                    problem(f"supervision lacks {key}")
            recording = recordings.get(supervision["recording_id"])
            if recording is None:
                problem(f"supervision {supervision['id']} points to no recording")
            elif supervision["start"] + supervision["duration"] > recording["duration"] + 1e-6:
                problem(f"supervision {supervision['id']} runs past its recording")
        result[split] = [(s["speaker"], s["id"]) for s in supervisions]
    return result


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("commonvoice", "kaldi", "nemo", "lhotse"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    form, root = sys.argv[1], sys.argv[2]
    splits = globals()[form](root)
    check_sums(root)
    speakers = {split: sorted({speaker for speaker, _ in rows}) for split, rows in splits.items()}
    for a in SPLITS:
        for b in SPLITS:
            if a < b and set(speakers[a]) & set(speakers[b]):
                problem(f"speakers in both {a} and {b}: {sorted(set(speakers[a]) & set(speakers[b]))}")
    print(json.dumps({"utterances": {s: len(rows) for s, rows in splits.items()}, "speakers": speakers, "problems": problems},
                     ensure_ascii=False, sort_keys=True))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
