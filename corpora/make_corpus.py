#!/usr/bin/env python3
"""Builds Parloir's sample corpus: French utterances under known conditions, with their truth.

Speech comes from espeak-ng's French voices (fr-fr, fr-be, fr-ch) at several speeds and
pitches; every degradation is applied here, in numpy, so its size is known exactly:
noise mixed at a known SNR, hard clipping, silences, cut speech, telephone band, DC offset,
mains hum, wrong durations and rates, other containers (through sox and ffmpeg), and files
that cannot be decoded. `manifest.json` holds, for each file, the verdict and reasons the
DSP core must give and the true value of each metric the tests compare.

Definitions used for the truth:
- speech level: the mean power of the 10 ms frames of the clean speech lying within
  15.9 dB of that mean (ITU-T P.56 style, iterated);
- SNR: speech level over the mean power of the noise, in dB;
- speech boundaries: the first and last 10 ms frame of clean speech within 35 dB of the
  speech level; the clean utterance is trimmed to them before padding, so a file's leading
  silence is exactly the padding put before it.

Usage: python3 corpora/make_corpus.py [OUTPUT_DIR]   (default: corpora/samples)
Needs espeak-ng, sox, ffmpeg and numpy. The output is deterministic for a given espeak-ng.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import wave

import numpy as np

RATE = 16000
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(HERE, "samples")
rng = np.random.default_rng(1789)
entries = []

SENTENCES = [
    "Allume la lumière de la cuisine.",
    "Quel temps fera-t-il demain à Lyon ?",
    "Mets un minuteur de dix minutes pour les pâtes.",
    "Appelle Chloé sur son portable.",
    "Quelle est la route la plus rapide pour aller à Marseille ?",
    "Baisse le chauffage du salon de deux degrés.",
    "Ajoute du lait et des œufs à la liste de courses.",
    "Joue la radio France Inter.",
]


def run(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def frames_power(x, frame=160):
    n = len(x) // frame
    return np.mean(x[: n * frame].reshape(n, frame).astype(np.float64) ** 2, axis=1)


def active_level(x):
    """P.56-style active speech level (mean power of 10 ms frames within 15.9 dB of it)."""
    p = frames_power(x)
    p = p[p > 0]
    level = p.mean()
    for _ in range(50):
        sel = p[p >= level * 10 ** (-15.9 / 10)]
        new = sel.mean()
        if abs(new - level) <= 1e-12 * level:
            break
        level = new
    return level


def speak(text, voice="fr-fr", speed=160, pitch=50, level_db=-22.0):
    """espeak-ng speech at 16 kHz, trimmed to its boundaries, at a given active level (dBFS)."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "raw.wav")
        res = os.path.join(tmp, "res.wav")
        run("espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", raw, text)
        run("sox", raw, "-r", str(RATE), "-b", "32", "-e", "floating-point", res, "rate", "-v")
        x = read_wav_float(res)
    level = active_level(x)
    p = frames_power(x)
    active = np.nonzero(p >= level * 10 ** (-35 / 10))[0]
    x = x[active[0] * 160 : (active[-1] + 1) * 160]
    return x * np.sqrt(10 ** (level_db / 10) / active_level(x))


def read_wav_float(path):
    out = subprocess.run(["sox", path, "-t", "f32", "-c", "1", "-"], check=True, capture_output=True).stdout
    return np.frombuffer(out, dtype=np.float32).astype(np.float64)


def noise(kind, n):
    """Unit-power noise: white, pink (1/f) or brown (1/f²), flat below 20 Hz, no DC."""
    w = rng.standard_normal(n)
    if kind != "white":
        spectrum = np.fft.rfft(w)
        f = np.fft.rfftfreq(n, 1 / RATE)
        f = np.maximum(f, 20.0)
        spectrum *= f ** (-0.5 if kind == "pink" else -1.0)
        spectrum[0] = 0
        w = np.fft.irfft(spectrum, n)
    w -= w.mean()
    return w / np.sqrt(np.mean(w**2))


def pad(x, lead, trail):
    return np.concatenate([np.zeros(int(round(lead * RATE))), x, np.zeros(int(round(trail * RATE)))])


def write_wav16(path, x, rate=RATE, channels=1):
    pcm = np.clip(np.round(x * 32768), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def add(name, x, verdict, reasons, truth=None, note="", rate=RATE):
    path = os.path.join(OUT, name)
    write_wav16(path, x, rate)
    record(name, verdict, reasons, truth, note)
    return path


def record(name, verdict, reasons, truth=None, note=""):
    entries.append({
        "file": name,
        "verdict": verdict,
        "reasons": reasons,
        "truth": truth or {},
        "note": note,
    })


def clean_take(sentence=0, voice="fr-fr", speed=160, pitch=50, lead=0.5, trail=0.6, floor_db=-70.0):
    """A clean take: espeak speech padded with silence, over a faint white noise floor."""
    speech = speak(SENTENCES[sentence], voice, speed, pitch)
    x = pad(speech, lead, trail)
    x = x + noise("white", len(x)) * 10 ** (floor_db / 20)
    return x, speech


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)

    # Clean takes: three French voices, several speeds and pitches.
    for i, (voice, speed, pitch, variant) in enumerate([
        ("fr-fr", 160, 50, ""), ("fr-fr", 130, 70, "+f3"), ("fr-be", 175, 40, ""),
        ("fr-ch", 150, 60, ""), ("fr-be", 190, 55, "+m3"), ("fr-ch", 140, 80, "+f2"),
    ]):
        lead, trail = [(0.5, 0.6), (0.3, 0.4), (0.8, 1.0), (1.5, 0.25), (0.25, 1.6), (0.6, 0.7)][i]
        x, speech = clean_take(i % len(SENTENCES), voice + variant, speed, pitch, lead, trail)
        add(f"clean_{voice}_{i}.wav", x, "accept", [],
            {"leading_silence_s": lead, "trailing_silence_s": trail, "duration_s": len(x) / RATE,
             "speech_s": len(speech) / RATE},
            f"espeak-ng {voice}{variant}, speed {speed}, pitch {pitch}")

    # Noise at known SNRs, three colours.
    speech = speak(SENTENCES[1], "fr-fr", 160, 50)
    level = active_level(speech)
    for kind in ("white", "pink", "brown"):
        for snr in (5, 10, 20, 30):
            x = pad(speech, 0.7, 0.8)
            x = x + noise(kind, len(x)) * np.sqrt(level / 10 ** (snr / 10))
            reasons = [["low_snr", "reject"]] if snr < 15 else [["low_snr", "warn"]] if snr < 25 else []
            add(f"snr_{kind}_{snr:02d}db.wav", x, "reject" if snr < 15 else "accept", reasons,
                {"snr_db": snr, "leading_silence_s": 0.7, "trailing_silence_s": 0.8},
                f"{kind} noise at {snr} dB SNR")

    # Hard clipping at known rates: gain, then clip at the full-scale level C.
    base = pad(speak(SENTENCES[2], "fr-fr", 160, 50), 0.5, 0.6)
    base = base + noise("white", len(base)) * 10 ** (-70 / 20)
    base = base / np.max(np.abs(base))
    for label, clip_at, level_c in (("light", 0.8, 0.8), ("medium", 0.25, 0.9), ("heavy", 0.08, 0.99)):
        y = np.clip(base / clip_at, -1, 1) * level_c
        q = np.round(y * 32768) / 32768
        top = np.max(np.abs(q))
        runs, samples = clipped_runs(q, top)
        fraction = samples / len(q)
        severity = "reject" if fraction >= 0.001 else "warn" if fraction >= 0.0001 else None
        reasons = [["clipping", severity]] if severity else []
        add(f"clipped_{label}.wav", y, "reject" if severity == "reject" else "accept", reasons,
            {"clipped_fraction": fraction, "clipped_runs": runs},
            f"hard clipping at {level_c} of full scale, {fraction * 100:.3f} % of samples")

    # Silences.
    for name, lead, trail, verdict, reasons in (
        ("silence_long_leading.wav", 2.6, 0.5, "reject", [["leading_silence", "reject"]]),
        ("silence_long_trailing.wav", 0.4, 2.7, "reject", [["trailing_silence", "reject"]]),
        ("silence_short_both.wav", 0.15, 0.12, "accept", []),
        ("silence_near_limits.wav", 1.8, 1.8, "accept", []),
    ):
        x, speech = clean_take(3, "fr-fr", 165, 50, lead, trail, floor_db=-60)
        add(name, x, verdict, reasons,
            {"leading_silence_s": lead, "trailing_silence_s": trail}, f"{lead} s before, {trail} s after")

    # Speech cut at the start and at the end (no pause at all in the second: blind SNR).
    speech = speak(SENTENCES[4], "fr-fr", 160, 50)
    cut = int(0.25 * RATE)
    x = pad(speech[cut:], 0, 0.6) + noise("white", len(speech) - cut + int(0.6 * RATE)) * 10 ** (-65 / 20)
    add("cut_start.wav", x, "reject", [["truncated_start", "reject"]],
        {"leading_silence_s": 0.0, "trailing_silence_s": 0.6}, "first 250 ms of the utterance removed")
    x = pad(speech[: len(speech) - cut], 0.6, 0) + noise("white", len(speech) - cut + int(0.6 * RATE)) * 10 ** (-65 / 20)
    add("cut_end.wav", x, "reject", [["truncated_end", "reject"]],
        {"leading_silence_s": 0.6, "trailing_silence_s": 0.0}, "last 250 ms of the utterance removed")
    inner = speak(SENTENCES[6], "fr-fr", 150, 50)
    inner = inner[int(0.2 * RATE): len(inner) - int(0.2 * RATE)]
    x = inner + noise("white", len(inner)) * np.sqrt(active_level(inner) / 10 ** (20 / 10))
    add("cut_both_white_20db.wav", x, "reject", [["truncated_start", "reject"], ["truncated_end", "reject"], ["low_snr", "warn"]],
        {"snr_db": 20, "leading_silence_s": 0.0, "trailing_silence_s": 0.0},
        "speech from the first to the last sample, white noise at 20 dB: no pause, so SNR is estimated blind")

    # Telephone band: 300-3400 Hz at 8 kHz, upsampled back to 16 kHz.
    x, _ = clean_take(5, "fr-fr", 160, 50, 0.5, 0.6, floor_db=-200)
    with tempfile.TemporaryDirectory() as tmp:
        src, tel = os.path.join(tmp, "src.wav"), os.path.join(tmp, "tel.wav")
        write_wav16(src, x)
        run("sox", src, "-r", "8000", tel, "sinc", "300-3400", "rate", "-v")
        run("sox", tel, "-r", str(RATE), os.path.join(OUT, "telephone_upsampled.wav"), "rate", "-v")
    record("telephone_upsampled.wav", "reject", [["narrowband", "reject"]], {"sample_rate": RATE},
           "telephone band (300-3400 Hz at 8 kHz) upsampled to 16 kHz")

    # DC offset.
    for offset, reasons in ((0.08, [["dc_offset", "warn"]]), (-0.02, [])):
        x, _ = clean_take(7, "fr-be", 160, 50, 0.5, 0.6)
        add(f"dc_offset_{'high' if offset > 0.05 else 'low'}.wav", x + offset, "accept", reasons,
            {"dc_offset": offset}, f"constant offset {offset}")

    # Mains hum: 50 Hz and harmonics.
    x, _ = clean_take(0, "fr-ch", 160, 50, 0.5, 0.6)
    t = np.arange(len(x)) / RATE
    hum = sum(a * np.sin(2 * np.pi * 50 * h * t + h) for h, a in ((1, 1.0), (2, 0.5), (3, 0.35), (4, 0.2)))
    add("hum_50hz.wav", x + hum * 10 ** (-48 / 20), "accept", [["mains_hum", "warn"]], {},
        "50 Hz hum with three harmonics, fundamental at -48 dBFS")

    # Durations, level, rate.
    short = speak("D'accord.", "fr-fr", 170, 50)
    assert len(short) + 4800 < RATE, "the short take must last under a second"
    add("too_short.wav", pad(short, 0.15, 0.15) + noise("white", len(short) + 4800) * 10 ** (-70 / 20), "reject",
        [["too_short", "reject"]], {"duration_s": (len(short) + 4800) / RATE}, "two words, under a second")
    long_speech = np.concatenate([np.concatenate([speak(s, "fr-fr", 140, 50), np.zeros(int(0.4 * RATE))]) for s in SENTENCES[:6]])
    while len(long_speech) < 16 * RATE:
        long_speech = np.concatenate([long_speech, speak(SENTENCES[7], "fr-fr", 140, 50), np.zeros(int(0.4 * RATE))])
    x = pad(long_speech, 0.5, 0.2)
    x = x + noise("white", len(x)) * 10 ** (-70 / 20)
    name = "too_long.flac"
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "long.wav")
        write_wav16(src, x)
        run("sox", src, os.path.join(OUT, name))
    record(name, "reject", [["too_long", "reject"]], {"duration_s": len(x) / RATE}, "several sentences, over 15 s")
    add("silent.wav", noise("white", 3 * RATE) * 10 ** (-72 / 20), "reject", [["no_speech", "reject"]],
        {"duration_s": 3.0}, "three seconds of faint noise")
    add("digital_silence.wav", np.zeros(2 * RATE), "reject", [["no_speech", "reject"]], {"duration_s": 2.0},
        "two seconds of zeros")
    quiet, _ = clean_take(2, "fr-fr", 160, 50, 0.5, 0.6, floor_db=-200)
    quiet = quiet * 10 ** (-26 / 20) + noise("white", len(quiet)) * 10 ** (-92 / 20)
    add("too_quiet.wav", quiet, "reject", [["too_quiet", "reject"]], {}, "speech at -48 dBFS active level")
    x, _ = clean_take(3, "fr-fr", 160, 50, 0.5, 0.6)
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "src.wav")
        write_wav16(src, x)
        run("sox", src, "-r", "8000", os.path.join(OUT, "rate_8khz.wav"), "rate", "-v")
    record("rate_8khz.wav", "reject", [["sample_rate", "reject"]], {"sample_rate": 8000}, "recorded at 8 kHz")

    # The same take in every container libsndfile must read, plus stereo and 48 kHz.
    x, speech = clean_take(1, "fr-fr", 160, 50, 0.5, 0.6)
    reference = os.path.join(OUT, "format_pcm16.wav")
    write_wav16(reference, x)
    truth = {"leading_silence_s": 0.5, "trailing_silence_s": 0.6, "duration_s": len(x) / RATE}
    record("format_pcm16.wav", "accept", [], truth, "16-bit PCM WAV, the reference for the other containers")
    conversions = [
        ("format_pcm24.wav", ["sox", reference, "-b", "24", "{out}"], "24-bit PCM WAV"),
        ("format_pcm32.wav", ["sox", reference, "-b", "32", "-e", "signed-integer", "{out}"], "32-bit PCM WAV"),
        ("format_float32.wav", ["sox", reference, "-b", "32", "-e", "floating-point", "{out}"], "32-bit float WAV"),
        ("format.flac", ["sox", reference, "{out}"], "FLAC"),
        ("format_vorbis.ogg", ["ffmpeg", "-y", "-i", reference, "-c:a", "libvorbis", "-q:a", "4", "{out}"], "Ogg Vorbis"),
        ("format_opus.opus", ["ffmpeg", "-y", "-i", reference, "-c:a", "libopus", "-b:a", "32k", "{out}"], "Ogg Opus (decoded at 48 kHz)"),
        ("format.mp3", ["ffmpeg", "-y", "-i", reference, "-c:a", "libmp3lame", "-b:a", "64k", "{out}"], "MP3"),
        ("format_stereo.wav", ["sox", reference, "-c", "2", "{out}"], "the take on two channels"),
        ("format_48khz.wav", ["sox", reference, "-r", "48000", "{out}", "rate", "-v"], "resampled to 48 kHz"),
    ]
    for name, cmd, note in conversions:
        run(*[c.replace("{out}", os.path.join(OUT, name)) for c in cmd])
        t = dict(truth)
        if name == "format_stereo.wav":
            t["channels"] = 2
        # Lossy codecs add encoder delay and padding: their duration and silences are looser.
        lossy = name.endswith((".ogg", ".opus", ".mp3"))
        record(name, "accept", [], {} if lossy else t, note)

    # Files that cannot be decoded.
    open(os.path.join(OUT, "unreadable_empty.wav"), "wb").close()
    record("unreadable_empty.wav", "reject", [["unreadable", "reject"]], {}, "zero bytes")
    with open(reference, "rb") as f:
        head = f.read(20)
    with open(os.path.join(OUT, "unreadable_truncated_header.wav"), "wb") as f:
        f.write(head)
    record("unreadable_truncated_header.wav", "reject", [["unreadable", "reject"]], {}, "the first 20 bytes of a WAV file")
    with open(os.path.join(OUT, "unreadable_random.wav"), "wb") as f:
        f.write(np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    record("unreadable_random.wav", "reject", [["unreadable", "reject"]], {}, "random bytes")
    run("ffmpeg", "-y", "-i", reference, "-c:a", "aac", "-b:a", "48k", os.path.join(OUT, "unreadable_container.m4a"))
    record("unreadable_container.m4a", "reject", [["unreadable", "reject"]], {}, "AAC in MP4, a container libsndfile does not read")

    entries.sort(key=lambda e: e["file"])
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump({"sample_rate": RATE, "definitions": __doc__.split("Definitions used for the truth:")[1].split("Usage:")[0].strip(),
                   "files": entries}, f, indent=1, ensure_ascii=False)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(OUT, e["file"])) for e in entries)
    print(f"{len(entries)} files, {total / 1e6:.2f} MB in {OUT}")


def clipped_runs(q, top, tolerance=0.995):
    """Runs of two or more same-sign samples within tolerance of each polarity's peak."""
    runs = samples = 0
    for sign in (1, -1):
        level = np.max(sign * q)
        hit = sign * q >= tolerance * level
        edges = np.diff(np.concatenate([[0], hit.astype(np.int8), [0]]))
        starts, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
        lengths = ends - starts
        lengths = lengths[lengths >= 2]
        runs += len(lengths)
        samples += int(lengths.sum())
    return runs, samples


if __name__ == "__main__":
    main()
