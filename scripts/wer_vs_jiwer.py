#!/usr/bin/env python3
"""Compares `parloir wer` with jiwer (PyPI) on French pairs.

Builds pairs from the example prompts (references) and seeded perturbations of them
(hypotheses, as an ASR engine would produce: words dropped, replaced, added, digits instead of
words, lost accents, other punctuation and case), runs `parloir wer --jsonl --show-normalized`,
then jiwer on the same normalised strings, and checks that WER, CER and the hit, substitution,
deletion and insertion counts are equal to 1e-9. Exit status 1 on any difference.

Usage: pip install jiwer && python3 scripts/wer_vs_jiwer.py [--pairs 400]   (after swift build)
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

import jiwer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FILLERS = ["euh", "alors", "bon", "donc", "ben", "voilà"]
SWAPS = {"dix": "10", "vingt": "20", "deux": "2", "trois": "3", "cinq": "5", "sept": "7", "quinze": "15", "trente": "30",
         "la": "le", "le": "la", "de": "du", "à": "a", "est": "et", "lumière": "lumières", "demain": "de main",
         "cuisine": "cousine", "mets": "met", "fera-t-il": "fera t'il", "s'il": "si il", "qu'il": "qu il"}


def perturb(sentence, rng):
    words = sentence.split()
    for _ in range(rng.randint(0, 3)):
        kind = rng.random()
        if not words:
            break
        i = rng.randrange(len(words))
        if kind < 0.25:
            del words[i]
        elif kind < 0.5:
            words.insert(i, rng.choice(FILLERS))
        elif kind < 0.8:
            key = words[i].strip(".,?!").lower()
            words[i] = SWAPS.get(key, words[i][::-1] if len(words[i]) > 3 else "euh")
        else:
            words[i] = words[i].upper()
    text = " ".join(words)
    if rng.random() < 0.3:
        text = text.replace("é", "e").replace("à", "a")
    if rng.random() < 0.3:
        text = text.rstrip(".?!") + rng.choice(["", ".", " !", "…"])
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=400)
    args = parser.parse_args()
    built = [b for b in (os.path.join(ROOT, ".build", c, "parloir") for c in ("release", "debug")) if os.path.exists(b)]
    binary = max(built, key=os.path.getmtime) if built else None
    if binary is None:
        sys.exit("build first: swift build")
    rng = random.Random(2026)
    prompts = [l.split("\t", 1)[1].strip() for l in open(os.path.join(ROOT, "prompts", "assistant-maison", "prompts.tsv"), encoding="utf-8")
               if not l.startswith("#")]
    extra = [("Il fait 21 °C à Lyon, soit 3,5 % de plus.", "il fait vingt et un degrés à lyon soit trois virgule cinq pour cent de plus"),
             ("Rendez-vous le 1er mai à 8 h pour 1990 €.", "rendez vous le premier mai à huit heures pour mille neuf cent quatre-vingt-dix euros"),
             ("", ""), ("Allume la lumière.", ""), ("Aujourd'hui, qu'est-ce qu'on mange ?", "aujourd hui qu'est ce qu on mange")]
    pairs = extra + [(p, perturb(p, rng)) for p in rng.sample(prompts, min(len(prompts), args.pairs))]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
        for ref, hyp in pairs:
            f.write(json.dumps({"ref": ref, "hyp": hyp}, ensure_ascii=False) + "\n")
        path = f.name
    out = subprocess.run([binary, "wer", "--jsonl", path, "--show-normalized"], capture_output=True, text=True, check=True).stdout
    os.remove(path)
    mismatches = 0
    compared = 0
    for (ref, hyp), line in zip(pairs, out.splitlines()):
        ours = json.loads(line)
        r, h = ours["ref_normalized"], ours["hyp_normalized"]
        if not r:
            continue  # jiwer refuses empty references; Parloir scores them 0 or 1 (documented)
        compared += 1
        words = jiwer.process_words(r, h if h else "")
        chars = jiwer.process_characters(r, h if h else "")
        theirs = {"wer": words.wer, "cer": chars.cer, "hits": words.hits, "substitutions": words.substitutions,
                  "deletions": words.deletions, "insertions": words.insertions, "ref_words": len(r.split())}
        for key, value in theirs.items():
            if abs(ours[key] - value) > 1e-9:
                mismatches += 1
                print(f"difference on {key}: ours {ours[key]}, jiwer {value}\n  ref: {r}\n  hyp: {h}")
                break
    wers = [json.loads(l)["wer"] for l in out.splitlines()]
    print(f"{compared} French pairs compared with jiwer {jiwer.__version__ if hasattr(jiwer, '__version__') else ''}: "
          f"{compared - mismatches} identical (WER, CER, hits, substitutions, deletions, insertions to 1e-9), {mismatches} different; "
          f"mean WER {sum(wers) / len(wers):.3f}")
    sys.exit(1 if mismatches else 0)


if __name__ == "__main__":
    main()
