#!/usr/bin/env python3
"""Loads Parloir's Lhotse and Kaldi exports with the `lhotse` package, as a training recipe would.

Usage: python3 scripts/load_with_lhotse.py LHOTSE_DIR KALDI_DIR SAMPLE_RATE
(run through scripts/lhotse_check.sh, which installs lhotse from PyPI in a virtual environment)

For each split: reads the recordings and supervisions manifests, validates them with
lhotse.qa, builds a CutSet and decodes every cut's audio, checking its length; then imports the
Kaldi data dir with lhotse.kaldi.load_kaldi_data_dir, validates it and decodes every recording.
"""
import sys

from lhotse import CutSet, load_manifest
from lhotse.kaldi import load_kaldi_data_dir
from lhotse.qa import validate_recordings_and_supervisions


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
    print(f"ok: {total} cuts loaded and decoded")


if __name__ == "__main__":
    main()
