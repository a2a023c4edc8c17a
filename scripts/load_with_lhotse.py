#!/usr/bin/env python3
"""Loads Parloir's Lhotse and Kaldi exports with the `lhotse` package, as a training recipe would.

Usage: python3 scripts/load_with_lhotse.py LHOTSE_DIR KALDI_DIR SAMPLE_RATE [COMMONVOICE_DIR]
(run through scripts/lhotse_check.sh, which installs lhotse from PyPI in a virtual environment)

For each split: reads the recordings and supervisions manifests, validates them with
lhotse.qa, builds a CutSet and decodes every cut's audio, checking its length; then imports the
Kaldi data dir with lhotse.kaldi.load_kaldi_data_dir, validates it and decodes every recording.
With COMMONVOICE_DIR, prepares the Common Voice export with lhotse's own recipe
(lhotse.recipes.prepare_commonvoice, which reads fr/{train,dev,test}.tsv and fr/clips/), validates
each split, decodes every recording and checks that every TSV row became one supervision.
"""
import csv
import sys
import tempfile

from lhotse import CutSet, load_manifest
from lhotse.kaldi import load_kaldi_data_dir
from lhotse.qa import validate_recordings_and_supervisions


def common_voice(corpus_dir, rate):
    from lhotse.recipes import prepare_commonvoice

    with tempfile.TemporaryDirectory() as output_dir:
        manifests = prepare_commonvoice(corpus_dir, output_dir, languages=["fr"], splits=["train", "dev", "test"])
    for split in ["train", "dev", "test"]:
        recordings, supervisions = manifests["fr"][split]["recordings"], manifests["fr"][split]["supervisions"]
        validate_recordings_and_supervisions(recordings, supervisions)
        with open(f"{corpus_dir}/fr/{split}.tsv", newline="", encoding="utf-8") as tsv:
            rows = list(csv.DictReader(tsv, delimiter="\t", quoting=csv.QUOTE_NONE))
        assert rows and len(supervisions) == len(rows), (split, len(supervisions), len(rows))
        assert {s.text for s in supervisions} == {row["sentence"].strip() for row in rows}, split
        for recording in recordings:
            samples = recording.load_audio()
            assert samples.shape[1] == recording.num_samples and recording.sampling_rate == rate, (recording.id, samples.shape)
        print(f"commonvoice {split}: {len(recordings)} recordings, {len({s.speaker for s in supervisions})} speakers")


def main():
    lhotse_dir, kaldi_dir, rate = sys.argv[1], sys.argv[2], int(sys.argv[3])
    total = 0
    for split in ["train", "dev", "test"]:
        recordings = load_manifest(f"{lhotse_dir}/parloir_recordings_{split}.jsonl.gz")
        supervisions = load_manifest(f"{lhotse_dir}/parloir_supervisions_{split}.jsonl.gz")
        validate_recordings_and_supervisions(recordings, supervisions)
        cuts = CutSet.from_manifests(recordings=recordings, supervisions=supervisions)
        for cut in cuts:
            audio = cut.load_audio()
            assert audio.shape == (1, cut.num_samples), (cut.id, audio.shape, cut.num_samples)
            assert cut.supervisions[0].text, cut.id
        hours = sum(cut.duration for cut in cuts) / 3600
        print(f"lhotse {split}: {len(cuts)} cuts, {hours:.4f} h, {len({s.speaker for s in supervisions})} speakers")
        total += len(cuts)

        recordings, supervisions, _ = load_kaldi_data_dir(f"{kaldi_dir}/{split}", sampling_rate=rate)
        validate_recordings_and_supervisions(recordings, supervisions)
        for recording in recordings:
            samples = recording.load_audio()
            assert samples.shape[1] == recording.num_samples, (recording.id, samples.shape, recording.num_samples)
        print(f"kaldi {split}: {len(recordings)} recordings, {len(supervisions)} supervisions")
    if len(sys.argv) > 4:
        common_voice(sys.argv[4], rate)
    print(f"ok: {total} cuts loaded and decoded")


if __name__ == "__main__":
    main()
