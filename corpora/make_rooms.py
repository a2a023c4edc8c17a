#!/usr/bin/env python3
"""Builds Parloir's realistic-noise corpus: French takes in simulated rooms, with exact truth.

Each file is one French prompt sentence (prompts/assistant-maison/prompts.tsv) spoken by
espeak-ng (fr-fr, fr-be, fr-ch and their variants, speeds 130-190, pitches 35-80, rotated
across files), trimmed as in make_corpus.py, padded with 0.3-1.2 s of silence before and
after (3-5 s in all), set to an active level between -29 and -18 dBFS (lower only if the
mixture would peak above 0.9), and mixed with noise that behaves like a real room, built here from synthesis, other espeak-ng voices and languages, and sox
effects. Every component is generated and mixed in numpy, so the truth is exact:

- babble: 3-8 other talkers (French and other languages), each a stream of sentences with
  its own pauses, a few near and most far, lightly reverberated, already talking before the
  file starts and still talking after it ends;
- tv: one voice through a loudspeaker (150-7000 Hz, mild reverb) that talks, pauses and talks
  again over a music bed that never stops;
- music_harmonic: additive-synthesis chords (pad, plucked melody, bass), chord changes every
  0.5-1.5 s;  music_rhythmic: kick, snare and hi-hat at 90-130 BPM with a bass line;
  music_sung: a sung line (harmonic voice source following a melody with vibrato, shaped by
  vowel formants) over a light plucked accompaniment;
- cafe: more talkers and more reverb than babble, plus cutlery clinks and cup/saucer knocks
  at random times (some loud), plus room tone;
- street: traffic swells, a passing vehicle with a Doppler glide, an occasional two-tone horn,
  wind gusts;
- car: 4-cylinder engine harmonics following accelerations and decelerations, road rumble,
  tyre noise.
Each noise type appears at 5, 10, 15, 20, 25 and 30 dB SNR. Special conditions: babble or
music that starts or stops 30-70 % of the way through the take, at 10 and 20 dB (onset); a
door slam or a cough in the leading or trailing pause over room tone or distant traffic, at
20 and 30 dB (event); the padded speech through sox `reverb 30 50 40` (small room, 5 ms
pre-delay) or `reverb 60 50 100` (hall, 20 ms pre-delay, its reverberance lowered by steps of
5 if its tail would not fit in the 1.2 s trailing pause), clean or with cafe/babble at 20 dB
(reverb); speech cut inside a word at the first or last sample, under babble or music at
20 dB (cut). Files are 16 kHz mono 16-bit FLAC. `manifest.json` gives, for each file, the
prompt, voice, speed and pitch, the verdict and reasons Parloir's default rules must give
(SNR < 15 dB: low_snr reject; < 25 dB: low_snr warn; cut: truncated_start/_end reject; no
other rule is near its limit) and the truth: speech_start_s, speech_end_s, leading_silence_s,
trailing_silence_s, duration_s, speech_s, snr_db (absent for clean files), speech_level_dbfs
and, for reverb files, reverb_tail_end_s.

Definitions used for the truth:
- speech level: the active level of the clean worker speech as placed in the file, ITU-T
  P.56 style: the mean power of its 10 ms frames lying within 15.9 dB of that mean, iterated;
  for reverb files the worker speech is the reverberated (wet) speech;
- SNR: the speech level over the mean power, over the whole file, of everything else (the
  whole noise signal: stationary bed, non-stationary parts and events, summed, plus a -75 dBFS
  white floor present in every file), in dB; the composite noise is scaled so that this holds
  exactly, so noise that starts, stops or comes in bursts counts with its mean power over the
  whole file; checked on the int16 signals written (noise = mixture - clean speech) to 0.1 dB;
- speech boundaries: the first and last 10 ms frame of the clean (dry) worker speech within
  35 dB of its speech level; the utterance is trimmed to them before padding, so
  speech_start_s is the padding put before it and speech_end_s = speech_start_s + speech_s;
  leading_silence_s = speech_start_s, trailing_silence_s = duration_s - speech_end_s;
- reverb files: the boundaries are those of the dry speech (the words spoken), and
  reverb_tail_end_s is the end of the last 10 ms frame of the wet, noise-free speech within
  35 dB of the wet speech level;
- cut files: the speech is cut inside a word, so speech_start_s = 0 (cut at the start) or
  speech_end_s = duration_s (cut at the end), and the matching silence is 0.

Usage: python3 corpora/make_rooms.py [--full | --train] [-j JOBS] [OUT_DIR]
  without an option: the small committed set in corpora/rooms (about 4 MB);
  --full: the evaluation set, 5x the files per noise condition and 4x the special ones, other
  seeds, sentences and voices, in corpora/rooms-full (git-ignored) unless OUT_DIR is given;
  --train: the set the speech-edge model is fitted on (scripts/fit_edges.py), 8x and 6x, with
  a third seed, in corpora/rooms-train (git-ignored): the two sets above stay unseen by the fit.
Needs espeak-ng, sox, numpy and scipy. The output is deterministic for a given espeak-ng and
sox (every file has its own seeded generator, so -j does not change it).
"""
import argparse
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from scipy import signal
from scipy.interpolate import PchipInterpolator

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in corpora/
import make_corpus as mc  # noqa: E402  (its module-level OUT and rng are not used here)
from make_corpus import RATE, active_level, frames_power, pad, read_wav_float, write_wav16  # noqa: E402

PROMPTS_TSV = os.path.join(HERE, "..", "prompts", "assistant-maison", "prompts.tsv")
SNRS = (5, 10, 15, 20, 25, 30)
NOISES = ("babble", "tv", "music_harmonic", "music_rhythmic", "music_sung", "cafe", "street", "car")
FLOOR_DB = -75.0
SMALL_SEED, FULL_SEED, TRAIN_SEED = 20240, 770000, 31337

WORKER_VOICES = ("fr-fr", "fr-be", "fr-ch")
VARIANTS = ("", "+m3", "+f2", "+m1", "+f3", "+m2", "+f1", "+m4", "+f4", "+m5", "+m6", "+f5", "+m7")
SPEEDS = (130, 140, 150, 160, 170, 180, 190)
PITCHES = (35, 40, 45, 50, 55, 60, 65, 70, 75, 80)

OTHER_SENTENCES = {
    "en": ["I think we should leave before the traffic gets worse.", "Did you see the match last night?",
           "She said the meeting was moved to Thursday.", "Can you pass me the salt, please?",
           "We are going to the seaside this weekend.", "My brother just bought a new bicycle.",
           "Honestly, I have no idea what he meant by that.", "The new café on the corner is always full."],
    "de": ["Ich habe heute keine Zeit für das Treffen.", "Kannst du mir bitte das Brot geben?",
           "Wir fahren morgen früh nach München.", "Das Wetter ist heute wirklich schön.",
           "Hast du schon die Nachrichten gelesen?", "Meine Schwester kommt erst am Sonntag zurück."],
    "es": ["Mañana vamos a cenar con mis padres.", "¿Has visto las llaves del coche?",
           "El tren sale a las ocho y media.", "No me gusta nada este restaurante.",
           "Mi hermana vive en Barcelona desde hace años.", "¿Quieres un café o prefieres un té?"],
    "it": ["Domani andiamo al mare con i bambini.", "Hai già prenotato il tavolo per stasera?",
           "Il caffè qui è davvero buono.", "Non trovo più il mio telefono.",
           "Ci vediamo alla stazione alle nove.", "Mio padre ha comprato una macchina nuova."],
    "pt": ["Vamos almoçar juntos amanhã?", "O ônibus está atrasado outra vez.", "Eu gosto muito deste bairro.",
           "Ela trabalha num hospital em Lisboa.", "Você já terminou o relatório?"],
    "nl": ["Ik ga morgen met de fiets naar mijn werk.", "Heb je de sleutels van het huis gezien?",
           "We eten vanavond bij mijn ouders.", "Het regent al de hele dag.", "Zullen we samen koffie drinken?"],
    "ar": ["أين المحطة القريبة من هنا", "سأذهب إلى السوق غدا صباحا", "هل رأيت المفاتيح على الطاولة",
           "الجو جميل جدا اليوم"],
}
LANG_VOICES = {"fr": ("fr-fr", "fr-be", "fr-ch"), "en": ("en-us", "en-gb", "en-gb-scotland"), "de": ("de",),
               "es": ("es", "es-419"), "it": ("it",), "pt": ("pt", "pt-br"), "nl": ("nl",), "ar": ("ar",)}
FRENCH_CHAT = [
    "Tu as vu le film dont je t'ai parlé la semaine dernière ?", "Non, on part plutôt en juillet cette année.",
    "Il faut absolument que je rappelle ma sœur ce soir.", "Ah bon, je ne savais pas qu'il avait déménagé.",
    "On se retrouve devant la gare vers dix-huit heures.", "C'est vraiment trop cher pour ce que c'est.",
    "Je prendrai un café allongé, s'il vous plaît.", "Franchement, la réunion de ce matin n'a servi à rien.",
]


def load_prompts():
    with open(PROMPTS_TSV, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip() and not line.startswith("#")]
    return [r[1] for r in rows if len(r) == 2]


PROMPTS = load_prompts()


# ---------------------------------------------------------------------------- signal helpers

@functools.lru_cache(maxsize=4096)
def _speak(text, voice, speed, pitch):
    return mc.speak(text, voice, speed, pitch, level_db=-20.0)


def speak(text, voice, speed, pitch, level_db=-20.0):
    """make_corpus.speak (trimmed at 35 dB, active level in dBFS), cached."""
    return _speak(text, voice, speed, pitch) * 10 ** ((level_db + 20.0) / 20)


def sox_fx(x, *effects):
    """Runs sox effects on a float signal at RATE (scaled to stay clear of sox's clipping)."""
    peak = float(np.max(np.abs(x))) or 1.0
    gain = 0.125 / peak
    proc = subprocess.run(["sox", "-t", "f32", "-r", str(RATE), "-c", "1", "-", "-t", "f32", "-c", "1", "-", *effects],
                          input=(x * gain).astype("<f4").tobytes(), capture_output=True, check=True)
    if b"clip" in proc.stderr:
        raise RuntimeError(f"sox clipped: {proc.stderr.decode()}")
    return np.frombuffer(proc.stdout, dtype="<f4").astype(np.float64) / gain


def reverb(x, reverberance, damping=50, room=100, predelay=0, wet_only=False, tail_s=0.0):
    """sox reverb (mono); tail_s seconds of zeros are appended first so the tail is kept."""
    y = np.concatenate([x, np.zeros(int(tail_s * RATE))])
    fx = ["reverb"] + (["-w"] if wet_only else []) + [str(reverberance), str(damping), str(room), "0", str(predelay), "0"]
    out = sox_fx(y, *fx)
    assert len(out) == len(y), (len(out), len(y))
    return out


def colour(rng, n, kind):
    """Unit-power white, pink or brown noise (make_corpus.noise with a per-file generator)."""
    w = rng.standard_normal(n)
    if kind != "white":
        spectrum = np.fft.rfft(w)
        f = np.maximum(np.fft.rfftfreq(n, 1 / RATE), 20.0)
        spectrum *= f ** (-0.5 if kind == "pink" else -1.0)
        spectrum[0] = 0
        w = np.fft.irfft(spectrum, n)
    w -= w.mean()
    return w / np.sqrt(np.mean(w**2))


def filt(x, kind, freq, order=4):
    sos = signal.butter(order, freq, btype=kind, fs=RATE, output="sos")
    return signal.sosfilt(sos, x)


def unit(x):
    p = np.mean(x**2)
    return x / np.sqrt(p) if p > 0 else x


def db(x):
    return 10 ** (x / 20)


def smooth_random(rng, n, rate_hz, lo=-1.0, hi=1.0):
    """A slowly varying random curve: uniform values at rate_hz, interpolated (pchip)."""
    k = max(2, int(np.ceil(n / RATE * rate_hz)) + 2)
    xs = np.linspace(0, n, k)
    return PchipInterpolator(xs, rng.uniform(lo, hi, k))(np.arange(n))


def place(canvas, start, y):
    """Adds y into canvas at sample start (either may overhang; the overlap is kept)."""
    a, b = max(start, 0), min(start + len(y), len(canvas))
    if b > a:
        canvas[a:b] += y[a - start: b - start]


def partials(freqs, amps, decays, length, rng, attack=0.003, release=0.03, inharm_phase=True):
    """Sum of decaying sinusoids with a linear attack and a release ramp at the end."""
    t = np.arange(length) / RATE
    y = np.zeros(length)
    for f, a, d in zip(freqs, amps, decays):
        if f <= 0 or f >= 7600:
            continue
        y += a * np.exp(-t / d) * np.sin(2 * np.pi * f * t + (rng.uniform(0, 2 * np.pi) if inharm_phase else 0))
    y *= np.minimum(1.0, t / attack)
    r = min(int(release * RATE), length)
    if r > 0:
        y[-r:] *= np.linspace(1, 0, r)
    return y


def midi(m):
    return 440.0 * 2 ** ((np.asarray(m, dtype=float) - 69) / 12)


def fade_step(n, at, ramp_s, rising):
    """0 before `at` then 1 (rising), or 1 then 0, with a raised-cosine ramp of ramp_s."""
    t = np.arange(n)
    r = max(1, int(ramp_s * RATE))
    x = np.clip((t - at) / r, 0, 1)
    x = 0.5 - 0.5 * np.cos(np.pi * x)
    return x if rising else 1 - x


# ---------------------------------------------------------------------------- talkers

def pick_talker(rng, french_share=0.45, langs=None):
    lang = "fr" if rng.random() < french_share else str(rng.choice(langs or [l for l in OTHER_SENTENCES]))
    voice = str(rng.choice(LANG_VOICES[lang])) + str(rng.choice(VARIANTS))
    return {"lang": lang, "voice": voice, "speed": int(rng.integers(140, 200)), "pitch": int(rng.integers(25, 86))}


def talker_sentence(rng, tk, exclude):
    if tk["lang"] == "fr":
        pool = FRENCH_CHAT if rng.random() < 0.35 else PROMPTS
        text = exclude
        while text == exclude:
            text = str(rng.choice(pool))
    else:
        text = str(rng.choice(OTHER_SENTENCES[tk["lang"]]))
    return speak(text, tk["voice"], tk["speed"], tk["pitch"], -20.0 + rng.uniform(-2.5, 2.5))


def talker_stream(rng, tk, length, exclude):
    """One talker: sentences separated by short pauses (and now and then a longer one)."""
    out = np.zeros(length)
    pos = 0
    while pos < length:
        s = talker_sentence(rng, tk, exclude)
        place(out, pos, s)
        pos += len(s) + int(RATE * (rng.uniform(0.12, 0.6) if rng.random() < 0.75 else rng.uniform(0.8, 1.8)))
    return out


def babble_track(rng, n, talkers, near, reverb_near, reverb_far, exclude):
    """Talkers summed; streams start 2.5-4 s before the window and run past its end."""
    pre, post = int(4.0 * RATE), int(1.0 * RATE)
    L = n + pre + post
    near_sum, far_sum = np.zeros(L), np.zeros(L)
    langs = []
    for i in range(talkers):
        tk = pick_talker(rng)
        langs.append(tk["lang"])
        off = int(rng.uniform(0.0, 1.5) * RATE)
        stream = talker_stream(rng, tk, L - off, exclude)
        if i < near:
            place(near_sum, off, stream * db(rng.uniform(-4, 0)))
        else:
            place(far_sum, off, stream * db(rng.uniform(-18, -7)))
    out = np.zeros(L)
    if near:
        out += near_sum + reverb(near_sum, reverb_near, 60, 60, wet_only=True) * db(-9)
    far_sum = filt(far_sum, "lowpass", 5000, 2)
    out += far_sum * db(-5) + reverb(far_sum, reverb_far, 50, 90, predelay=10, wet_only=True)
    counts = {l: langs.count(l) for l in dict.fromkeys(langs)}
    desc = ", ".join(f"{v} {k}" for k, v in counts.items())
    return out[pre: pre + n], f"{talkers} talkers ({desc}), {near} near"


def babble(rng, n, exclude):
    talkers = int(rng.integers(3, 9))
    near = int(rng.integers(1, 3)) if talkers > 3 else 1
    x, note = babble_track(rng, n, talkers, near, int(rng.integers(20, 40)), int(rng.integers(35, 55)), exclude)
    return x, f"babble: {note}, light reverb"


# ---------------------------------------------------------------------------- music

PROGRESSIONS = ([0, 4, 5, 3], [1, 4, 0, 5], [0, 3, 4, 0], [5, 3, 0, 4], [0, 5, 1, 4], [0, 2, 3, 4])
MAJOR = np.array([0, 2, 4, 5, 7, 9, 11])
MINOR = np.array([0, 2, 3, 5, 7, 8, 10])


def scale_note(tonic, scale, degree):
    return tonic + scale[degree % 7] + 12 * (degree // 7)


def chord_plan(rng, total_s, dur_range=(0.5, 1.5)):
    """(start, duration, chord degrees) covering total_s, chords from a diatonic progression."""
    prog = PROGRESSIONS[int(rng.integers(len(PROGRESSIONS)))]
    t, i, plan = 0.0, 0, []
    while t < total_s:
        d = rng.uniform(*dur_range)
        plan.append((t, d, prog[i % len(prog)]))
        t += d
        i += 1
    return plan


def harmonic_note(rng, f, length, kind):
    """Additive notes: 'pad' (slow attack, sustained), 'pluck' (piano-like), 'bass'."""
    if kind == "pad":
        hs = np.arange(1, 16)
        y = partials(f * hs, hs**-1.6 * rng.uniform(0.6, 1.0, len(hs)), np.full(len(hs), 4.0), length, rng,
                     attack=rng.uniform(0.04, 0.12), release=0.15)
        y += partials(f * hs * 2 ** (6 / 1200), hs**-1.6 * 0.5, np.full(len(hs), 4.0), length, rng, attack=0.1, release=0.15)
        return y
    if kind == "pluck":
        hs = np.arange(1, 20)
        b = 1.5e-4
        return partials(f * hs * np.sqrt(1 + b * hs**2), hs**-1.1 * rng.uniform(0.5, 1.0, len(hs)),
                        rng.uniform(0.5, 1.1) / hs**0.7, length, rng, attack=0.002, release=0.05)
    hs = np.arange(1, 9)
    return partials(f * hs, hs**-1.3, 0.5 / hs**0.5, length, rng, attack=0.005, release=0.04)


def music_harmonic_track(rng, n):
    pre = int(1.5 * RATE)
    L = n + pre
    out = np.zeros(L)
    tonic = int(rng.integers(55, 67))
    scale = MINOR if rng.random() < 0.35 else MAJOR
    plan = chord_plan(rng, L / RATE)
    pad_sum, mel, bass = np.zeros(L), np.zeros(L), np.zeros(L)
    for start, dur, deg in plan:
        s, ln = int(start * RATE), int((dur + 0.15) * RATE)
        notes = [scale_note(tonic - 12, scale, deg + k) for k in (0, 2, 4)] + ([scale_note(tonic - 12, scale, deg + 6)] if rng.random() < 0.3 else [])
        for m in notes:
            place(pad_sum, s, harmonic_note(rng, midi(m), ln, "pad"))
        place(bass, s, harmonic_note(rng, midi(scale_note(tonic - 24, scale, deg)), int(dur * RATE), "bass"))
        k = int(rng.integers(1, 5))
        for j in range(k):
            ms = s + int(j * dur / k * RATE)
            deg_m = deg + int(rng.choice([0, 2, 4, 7, 9, 1, 3]))
            place(mel, ms, harmonic_note(rng, midi(scale_note(tonic, scale, deg_m)), int(rng.uniform(0.4, 1.2) * RATE), "pluck"))
    out = unit(pad_sum) * db(-6) + unit(mel) + unit(bass) * db(-4)
    out = out + reverb(out, 40, 50, 70, wet_only=True) * db(-8)
    key = ("minor" if scale is MINOR else "major")
    return out[pre:], f"additive chords ({key}, {len(plan)} chord changes, mean {np.mean([p[1] for p in plan]):.2f} s), plucked melody, bass"


def kick(rng):
    ln = int(0.35 * RATE)
    t = np.arange(ln) / RATE
    f = 50 + 100 * np.exp(-t / 0.03)
    y = np.sin(2 * np.pi * np.cumsum(f) / RATE) * np.exp(-t / rng.uniform(0.12, 0.2))
    y += filt(rng.standard_normal(ln), "lowpass", 3000, 2) * np.exp(-t / 0.002) * 0.3
    return y


def snare(rng):
    ln = int(0.25 * RATE)
    t = np.arange(ln) / RATE
    body = filt(rng.standard_normal(ln), "bandpass", [900, 7000], 2) * np.exp(-t / rng.uniform(0.06, 0.1))
    tone = np.sin(2 * np.pi * rng.uniform(170, 210) * t) * np.exp(-t / 0.05)
    return 0.7 * body / np.max(np.abs(body)) + 0.5 * tone


def hihat(rng, open_=False):
    ln = int((0.3 if open_ else 0.08) * RATE)
    t = np.arange(ln) / RATE
    y = filt(rng.standard_normal(ln), "highpass", 6000, 4) * np.exp(-t / (0.12 if open_ else rng.uniform(0.015, 0.03)))
    return y / np.max(np.abs(y))


def music_rhythmic_track(rng, n, light=False):
    bpm = int(rng.integers(90, 131))
    beat = 60 / bpm
    pre = int(4 * beat * RATE)
    L = n + pre
    drums, bass = np.zeros(L), np.zeros(L)
    tonic = int(rng.integers(28, 40))
    scale = MINOR if rng.random() < 0.5 else MAJOR
    prog = PROGRESSIONS[int(rng.integers(len(PROGRESSIONS)))]
    kick_pat = [[0, 8], [0, 8, 10], [0, 6, 8], [0, 3, 8, 11]][int(rng.integers(4))]
    sixteenths = rng.random() < 0.4
    steps = int(np.ceil(L / RATE / (beat / 4))) + 1
    for i in range(steps):
        t = i * beat / 4 + (beat / 4 * 0.12 if i % 2 else 0)  # a little swing
        s = int((t + rng.normal(0, 0.004)) * RATE)
        pos = i % 16
        if pos in kick_pat:
            place(drums, s, kick(rng) * (1.0 if pos == 0 else 0.8))
        if pos in (4, 12):
            place(drums, s, snare(rng) * rng.uniform(0.75, 0.9))
        if sixteenths or pos % 2 == 0:
            open_ = pos == 14 and rng.random() < 0.5
            place(drums, s, hihat(rng, open_) * (0.22 if pos % 4 == 0 else 0.14) * rng.uniform(0.8, 1.1))
        if pos % 2 == 0 and not (light and pos % 4):
            bar = i // 16
            deg = prog[bar % len(prog)]
            m = scale_note(tonic, scale, deg) + (12 if pos in (6, 14) and rng.random() < 0.6 else 0)
            place(bass, s, harmonic_note(rng, midi(m), int(beat / 2 * RATE * 0.9), "bass"))
    out = unit(drums) + unit(bass) * db(-3)
    out = out + reverb(out, 25, 50, 40, wet_only=True) * db(-12)
    return out[pre:], f"{bpm} BPM, kick/snare/{'16th' if sixteenths else '8th'} hi-hat, bass line ({'minor' if scale is MINOR else 'major'})"


VOWELS = {  # formant frequencies (Hz) for a sung voice
    "a": (750, 1300, 2600, 3300), "e": (450, 1900, 2600, 3300), "i": (300, 2200, 3000, 3500),
    "o": (480, 900, 2550, 3200), "ou": (330, 800, 2450, 3200), "eu": (470, 1450, 2450, 3200),
    "è": (580, 1750, 2550, 3300),
}
BANDWIDTHS = (80, 100, 140, 180)


def sung_voice(rng, n):
    """A legato melody: harmonic source (1/h) shaped by moving vowel formants, with vibrato."""
    female = rng.random() < 0.55
    tonic = int(rng.integers(60, 67)) if female else int(rng.integers(48, 55))
    scale = MINOR if rng.random() < 0.4 else MAJOR
    pre = int(1.0 * RATE)
    L = n + pre
    f0 = np.zeros(L)
    amp = np.zeros(L)
    formants = np.zeros((4, L))
    notes = []
    t = 0
    deg = int(rng.integers(0, 5))
    while t < L:
        d = int(rng.choice([0.25, 0.35, 0.5, 0.5, 0.7, 0.9]) * RATE * rng.uniform(0.95, 1.05))
        deg = int(np.clip(deg + rng.choice([-2, -1, -1, 0, 1, 1, 2, 3]), -2, 9))
        notes.append((t, d, midi(scale_note(tonic, scale, deg)), VOWELS[str(rng.choice(list(VOWELS)))], rng.random() < 0.45))
        t += d
    glide = int(0.05 * RATE)
    prev_f, prev_v = notes[0][2], notes[0][3]
    breath_env = np.zeros(L)
    for start, d, f, v, consonant in notes:
        a, b = start, min(start + d, L)
        k = np.arange(b - a)
        g = np.clip(k / glide, 0, 1)
        f0[a:b] = prev_f + (f - prev_f) * g
        vib_depth = np.clip((k / RATE - 0.15) / 0.2, 0, 1) * rng.uniform(0.015, 0.03)
        f0[a:b] *= 1 + vib_depth * np.sin(2 * np.pi * rng.uniform(5.0, 6.5) * k / RATE)
        gv = np.clip(k / int(0.07 * RATE), 0, 1)
        for j in range(4):
            formants[j, a:b] = prev_v[j] + (v[j] - prev_v[j]) * gv
        env = np.ones(b - a) * rng.uniform(0.7, 1.0)
        if consonant:  # a consonant: a dip in voicing and a short fricative burst
            dip = min(int(0.06 * RATE), b - a)
            env[:dip] *= np.linspace(0.08, 1, dip) ** 2
            breath_env[a:a + int(0.05 * RATE)] += 1.0
        amp[a:b] = env
        prev_f, prev_v = f, v
    amp = np.convolve(amp, np.ones(160) / 160, mode="same")
    f0 *= 1 + 0.004 * smooth_random(rng, L, 8)
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    y = np.zeros(L)
    for h in range(1, int(7500 / f0.min()) + 1):
        fh = h * f0
        gain = 1.0 / h
        for j in range(4):
            F, B = formants[j], BANDWIDTHS[j]
            gain = gain * F**2 / np.sqrt((F**2 - fh**2) ** 2 + (fh * B) ** 2)
        gain = np.where(fh < 7500, gain, 0.0)
        y += gain * np.sin(h * phase + rng.uniform(0, 2 * np.pi))
    y *= amp
    y = unit(y)
    breath = filt(rng.standard_normal(L), "highpass", 3500, 4) * np.convolve(breath_env, np.hanning(400) / 200, mode="same")
    y += unit(breath) * db(-26) if breath_env.any() else 0
    return y[pre:], ("female" if female else "male"), len(notes)


def music_sung_track(rng, n):
    voice, sex, count = sung_voice(rng, n)
    pre = int(1.0 * RATE)
    acc = np.zeros(n + pre)
    tonic = int(rng.integers(52, 60))
    for start, dur, deg in chord_plan(rng, (n + pre) / RATE, (1.0, 2.0)):
        s = int(start * RATE)
        for j, k in enumerate((0, 2, 4, 7)):
            place(acc, s + int(j * 0.03 * RATE), harmonic_note(rng, midi(scale_note(tonic - 12, MAJOR, deg + k)), int((dur + 0.2) * RATE), "pluck"))
    out = unit(voice) + unit(acc[pre:]) * db(-10)
    out = out + reverb(out, 45, 50, 70, wet_only=True) * db(-9)
    return out, f"sung {sex} line ({count} notes, vibrato, vowel formants) over plucked chords at -10 dB"


# ---------------------------------------------------------------------------- tv, cafe, street, car

def tv(rng, n, exclude):
    """A voice through a loudspeaker that talks, pauses, talks, over a music bed."""
    dur = n / RATE
    pre = int(3.0 * RATE)
    L = n + pre + int(1.0 * RATE)
    tk = pick_talker(rng, french_share=0.4)
    tk["speed"] = int(rng.integers(150, 186))
    voice = np.zeros(L)
    t_end = rng.uniform(0.25, 0.5) * dur
    first = talker_sentence(rng, tk, exclude)
    place(voice, pre + int(t_end * RATE) - len(first), first)
    t, talks = t_end, []
    while t < dur + 1.0:
        gap = rng.uniform(0.5, 1.3)
        s = talker_sentence(rng, tk, exclude)
        talks.append((t, t + gap))
        place(voice, pre + int((t + gap) * RATE), s)
        t += gap + len(s) / RATE
    if rng.random() < 0.6:
        bed, bed_note = music_harmonic_track(rng, L)
    else:
        bed, bed_note = music_rhythmic_track(rng, L, light=True)
    bed_db = rng.uniform(-16, -10)
    mix = voice / np.sqrt(active_level(voice)) + unit(bed) * db(bed_db)
    mix = sox_fx(mix, "sinc", "150-7000", "equalizer", "2500", "1q", "3")
    mix = mix + reverb(mix, 30, 60, 50, wet_only=True) * db(-8)
    pauses = ", ".join(f"{a:.2f}-{min(b, dur):.2f} s" for a, b in talks if a < dur)
    return mix[pre: pre + n], f"tv: {tk['lang']} voice {tk['voice']} through a speaker (150-7000 Hz), pauses at {pauses}; music bed at {bed_db:.0f} dB ({bed_note})"


def clink(rng, kind):
    ln = int(0.5 * RATE)
    t = np.arange(ln) / RATE
    click = filt(rng.standard_normal(ln), "highpass", 1500, 2) * np.exp(-t / 0.0015)
    if kind == "cutlery":
        f0 = rng.uniform(2200, 4300)
        freqs = f0 * np.array([1, rng.uniform(1.35, 1.8), rng.uniform(2.1, 2.9), rng.uniform(0.55, 0.75)])
        y = partials(freqs, rng.uniform(0.3, 1.0, 4), rng.uniform(0.008, 0.06, 4), ln, rng, attack=0.0005, release=0.01)
    else:
        f0 = rng.uniform(1100, 2600)
        freqs = f0 * np.array([1, rng.uniform(2.0, 2.5), rng.uniform(3.5, 4.3), rng.uniform(5.2, 6.5), rng.uniform(0.6, 0.8)])
        y = partials(freqs, rng.uniform(0.3, 1.0, 5), rng.uniform(0.04, 0.22, 5), ln, rng, attack=0.0005, release=0.02)
    y = y / np.max(np.abs(y)) + 0.5 * click / np.max(np.abs(click))
    if kind == "saucer":  # a cup put down: two or three quick knocks
        out = np.zeros(ln + int(0.15 * RATE))
        pos = 0
        for a in (1.0, rng.uniform(0.3, 0.6), rng.uniform(0.1, 0.3))[: int(rng.integers(2, 4))]:
            place(out, pos, y * a)
            pos += int(rng.uniform(0.015, 0.06) * RATE)
        y = out
    return y / np.max(np.abs(y))


def cafe(rng, n, exclude):
    talkers = int(rng.integers(8, 13))
    near = int(rng.integers(1, 4))
    bab, note = babble_track(rng, n, talkers, near, int(rng.integers(45, 65)), int(rng.integers(65, 90)), exclude)
    bab = unit(bab)
    hits = np.zeros(n + int(0.6 * RATE))
    rate = rng.uniform(1.5, 3.5)
    t, count, loud = rng.exponential(1 / rate), 0, 0
    while t < n / RATE:
        kind = str(rng.choice(["cutlery", "cutlery", "cup", "saucer"]))
        big = rng.random() < 0.18
        level = rng.uniform(0, 8) if big else rng.uniform(-18, -2)
        place(hits, int(t * RATE), clink(rng, kind) * 4.0 * db(level))
        count += 1
        loud += big
        t += rng.exponential(1 / rate)
    hits = hits + reverb(hits, 50, 40, 60, wet_only=True) * db(-6)
    tone = filt(colour(rng, n, "pink") * 0.6 + colour(rng, n, "brown"), "lowpass", 1200, 2)
    x = bab + hits[:n] + unit(tone) * db(-16)
    return x, f"cafe: {note}, heavy reverb; {count} clinks/knocks ({loud} loud); room tone at -16 dB"


def traffic(rng, n, swell_db):
    x = filt(colour(rng, n, "brown") + 0.5 * colour(rng, n, "pink"), "lowpass", rng.uniform(600, 1200), 2)
    return unit(x) * db(swell_db * smooth_random(rng, n, 0.3))


def passing_vehicle(rng, n, t0):
    """A vehicle passing at distance d, speed v: 1/r loudness, Doppler-shifted engine tone."""
    t = np.arange(n) / RATE
    v, d, c = rng.uniform(8, 16), rng.uniform(3, 7), 343.0
    r = np.sqrt(d**2 + (v * (t - t0)) ** 2)
    vr = v**2 * (t - t0) / r
    fe = rng.uniform(70, 130)
    phase = 2 * np.pi * np.cumsum(fe * c / (c + vr)) / RATE
    engine = sum(h**-0.9 * np.sin(h * phase + h) for h in range(1, 12) if h * fe < 1500)
    tyres = filt(colour(rng, n, "pink"), "bandpass", [200, 5000], 2)
    env = (d / r) ** 1.3
    span = rng.uniform(2.0, 4.0)
    env *= np.clip(1 - (np.abs(t - t0) / (span / 2)) ** 4, 0, 1) ** 2 * 0.97 + 0.03 * (d / r)
    return (unit(engine) * 1.4 + unit(tyres) * 0.6) * env, v, d, span


def horn(rng, n, at):
    dur = rng.uniform(0.3, 0.8)
    ln = int(dur * RATE)
    f1 = rng.uniform(350, 420)
    y = np.zeros(ln)
    t = np.arange(ln) / RATE
    for f in (f1, f1 * 1.26):
        for h in range(1, 15):
            if h * f < 7000:
                y += (h**-1.0 if h % 2 else 0.5 * h**-1.0) * np.sin(2 * np.pi * h * f * t + h)
    y *= np.minimum(1, t / 0.015) * np.minimum(1, (dur - t) / 0.04)
    out = np.zeros(n)
    place(out, int(at * RATE), y)
    return out, dur, f1


def wind(rng, n):
    x = filt(rng.standard_normal(n), "lowpass", rng.uniform(120, 250), 2)
    t = np.arange(n) / RATE
    env = np.full(n, 0.2)
    gusts = int(rng.integers(1, 4))
    for _ in range(gusts):
        c, w = rng.uniform(-0.5, n / RATE + 0.5), rng.uniform(0.4, 1.2)
        env += rng.uniform(0.5, 1.0) * np.exp(-0.5 * ((t - c) / (w / 2)) ** 2)
    env *= 1 + 0.3 * smooth_random(rng, n, 3)
    return unit(x) * env, gusts


def street(rng, n):
    dur = n / RATE
    x = traffic(rng, n, 6)
    t0 = rng.uniform(0.2, 0.8) * dur
    veh, v, d, span = passing_vehicle(rng, n, t0)
    x = x + veh * db(rng.uniform(8, 12))
    w, gusts = wind(rng, n)
    x = x + w * db(rng.uniform(-4, 2))
    note = f"street: traffic swells, vehicle passing at {t0:.2f} s ({v:.0f} m/s, {d:.1f} m, over {span:.1f} s), {gusts} wind gust(s)"
    if rng.random() < 0.55:
        at = rng.uniform(0.1, 0.85) * dur
        h, hd, f1 = horn(rng, n, at)
        h = filt(h, "lowpass", 5000, 2)
        x = x + unit(h) * np.sqrt(n / (hd * RATE)) * db(rng.uniform(2, 6))
        note += f", horn at {at:.2f} s ({f1:.0f}/{f1 * 1.26:.0f} Hz, {hd:.2f} s)"
    return x, note


def car(rng, n):
    dur = n / RATE
    L = n + RATE
    xs = np.concatenate([[0.0], np.cumsum(rng.uniform(0.8, 1.6, int(L / RATE / 0.8) + 2))])
    rpm_pts = [rng.uniform(1100, 2000)]
    for _ in xs[1:]:
        step = rng.choice([rng.uniform(500, 1300), -rng.uniform(400, 1100), rng.uniform(-150, 150)])
        rpm_pts.append(float(np.clip(rpm_pts[-1] + step, 850, 3500)))
    rpm = PchipInterpolator(xs * RATE, rpm_pts)(np.arange(L))
    f_fire = rpm / 60 * 2
    crank = 2 * np.pi * np.cumsum(rpm / 60) / RATE
    accel = np.gradient(rpm) * RATE
    load = 1 + 1.2 * np.clip(accel / 1500, 0, 1)
    orders = {2: 1.0, 4: 0.5, 6: 0.3, 8: 0.18, 10: 0.1, 1: 0.08, 3: 0.12, 5: 0.05, 12: 0.06}
    engine = sum(a * rng.uniform(0.7, 1.3) * np.sin(o * crank + rng.uniform(0, 6.3)) for o, a in orders.items())
    engine = filt(engine * load * (1 + 0.05 * smooth_random(rng, L, 20)), "lowpass", 500, 2)
    road = filt(colour(rng, L, "brown"), "lowpass", 200, 4)
    boom = filt(colour(rng, L, "white"), "bandpass", [rng.uniform(30, 40), rng.uniform(55, 70)], 2)
    road = unit(road) + unit(boom) * 0.5
    road *= 0.7 + 0.3 * (rpm / rpm.max())
    tyres = filt(colour(rng, L, "pink"), "bandpass", [400, 2500], 2)
    x = unit(engine) + unit(road) * db(rng.uniform(-8, -4)) + unit(tyres) * db(rng.uniform(-20, -15))
    x = x[RATE:]
    r = rpm[RATE:]
    return x, (f"car: 4-cylinder engine {r.min():.0f}-{r.max():.0f} rpm (firing {f_fire[RATE:].min():.0f}-{f_fire[RATE:].max():.0f} Hz, "
               f"harmonics), road rumble < 200 Hz, tyre noise")


def room_tone(rng, n):
    x = filt(colour(rng, n, "pink") * 0.6 + colour(rng, n, "brown"), "lowpass", 1500, 2)
    return unit(x), "room tone"


def street_bed(rng, n):
    return traffic(rng, n, 2), "distant traffic"


def stationary(rng, n):
    """White, pink or brown noise: the steady hiss and rumble the edge model must also handle;
    only in the training set."""
    kind = ("white", "pink", "brown")[int(rng.integers(3))]
    return colour(rng, n, kind), f"stationary {kind} noise"


def make_noise(rng, kind, n, exclude):
    if kind == "stationary":
        return stationary(rng, n)
    if kind == "babble":
        return babble(rng, n, exclude)
    if kind == "tv":
        return tv(rng, n, exclude)
    if kind == "music_harmonic":
        x, note = music_harmonic_track(rng, n)
        return x, "music_harmonic: " + note
    if kind == "music_rhythmic":
        x, note = music_rhythmic_track(rng, n)
        return x, "music_rhythmic: " + note
    if kind == "music_sung":
        x, note = music_sung_track(rng, n)
        return x, "music_sung: " + note
    if kind == "cafe":
        return cafe(rng, n, exclude)
    if kind == "street":
        return street(rng, n)
    if kind == "car":
        return car(rng, n)
    raise ValueError(kind)


# ---------------------------------------------------------------------------- events

def door_slam(rng):
    """Low thump (falling sine + low noise burst), latch and panel rattle, room reverb."""
    ln = int(0.6 * RATE)
    t = np.arange(ln) / RATE
    f = rng.uniform(45, 70) + rng.uniform(70, 110) * np.exp(-t / 0.02)
    thump = np.sin(2 * np.pi * np.cumsum(f) / RATE) * np.exp(-t / rng.uniform(0.04, 0.08))
    thump += filt(rng.standard_normal(ln), "lowpass", 400, 2) * np.exp(-t / 0.03) * 2.0
    impact = filt(rng.standard_normal(ln), "highpass", 300, 2) * np.exp(-t / 0.004) * 0.5
    panel = np.sin(2 * np.pi * rng.uniform(180, 350) * t) * np.exp(-t / 0.07) * 0.3
    y = unit(thump) + unit(impact) * 0.8 + unit(panel) * 0.4
    rattle = np.zeros(ln)
    for i in range(int(rng.integers(3, 8))):
        at = rng.uniform(0.015, 0.2)
        f0 = rng.uniform(500, 2500)
        place(rattle, int(at * RATE), partials(f0 * np.array([1, 1.7, 2.6]), [1, 0.6, 0.3], rng.uniform(0.005, 0.02, 3),
                                               int(0.08 * RATE), rng, attack=0.0003, release=0.01) * np.exp(-at / 0.08))
    y += unit(rattle) * 0.5
    y = y + reverb(y, 50, 50, 60, wet_only=True, tail_s=0.0) * db(-6)
    return y * np.exp(-t / 0.15)


def cough(rng):
    """One or two noise bursts coloured by formants, with a little voicing."""
    bursts = int(rng.integers(1, 3))
    total = int(0.6 * RATE)
    out = np.zeros(total)
    pos, lengths = 0, []
    F = (rng.uniform(450, 700), rng.uniform(1300, 1900), rng.uniform(2300, 2900))
    for b in range(bursts):
        ln = int(rng.uniform(0.18, 0.28) * RATE) if b == 0 else int(rng.uniform(0.1, 0.16) * RATE)
        t = np.arange(ln) / RATE
        noise = rng.standard_normal(ln)
        spec = np.fft.rfft(noise)
        fr = np.fft.rfftfreq(ln, 1 / RATE)
        shape = sum(a * Fi**2 / np.sqrt((Fi**2 - fr**2) ** 2 + (fr * 250) ** 2) for Fi, a in zip(F, (1.0, 0.7, 0.4)))
        burst = np.fft.irfft(spec * shape, ln)
        voicing = np.sign(np.sin(2 * np.pi * rng.uniform(110, 200) * t)) * 0.15
        env = np.minimum(1, t / 0.008) * np.exp(-t / rng.uniform(0.04, 0.07))
        y = (unit(burst) + filt(voicing, "lowpass", 1500, 2)) * env * (1.0 if b == 0 else rng.uniform(0.4, 0.7))
        place(out, pos, y)
        lengths.append(ln)
        pos += ln + int(rng.uniform(0.02, 0.06) * RATE)
    end = min(pos, total)
    out = out[:end]
    return out + reverb(out, 40, 50, 50, wet_only=True) * db(-10), bursts


def active_span(y, rel_db=-40):
    p = frames_power(y)
    idx = np.nonzero(p >= p.max() * 10 ** (rel_db / 10))[0]
    return idx[0] * 160, (idx[-1] + 1) * 160


# ---------------------------------------------------------------------------- files

def worker(k, seed):
    """Voice, speed and pitch for file k (rotated, with different cycles so pairs vary)."""
    voice = WORKER_VOICES[k % 3] + VARIANTS[(k * 5 + seed) % len(VARIANTS)]
    return voice, SPEEDS[(k * 3 + seed) % len(SPEEDS)], PITCHES[(k * 7 + seed) % len(PITCHES)]


def plan(kind):
    """The list of file specifications (no audio yet) of the small, full or train set."""
    seed = {"small": SMALL_SEED, "full": FULL_SEED, "train": TRAIN_SEED}[kind]
    reps, special_reps = {"small": (1, 1), "full": (5, 4), "train": (8, 6)}[kind]
    specs = []
    for noise in NOISES + (("stationary",) if kind == "train" else ()):
        for snr in SNRS:
            for _ in range(reps):
                specs.append({"category": "music" if noise.startswith("music") else noise, "noise": noise, "snr": snr, "kind": "plain"})
    for r in range(special_reps):
        rot = lambda xs, i: xs[(i + r) % len(xs)]  # noqa: E731
        onset_noises = ("babble", "music_harmonic", "tv", "music_rhythmic", "cafe", "music_sung")
        for i, (mode, snr) in enumerate((("start", 10), ("start", 20), ("stop", 10), ("stop", 20))):
            specs.append({"category": "onset", "noise": rot(onset_noises, i), "snr": snr, "kind": "onset", "mode": mode})
        for i, (event, snr) in enumerate((("slam", 20), ("slam", 30), ("cough", 20), ("cough", 30))):
            specs.append({"category": "event", "snr": snr, "kind": "event", "event": event,
                          "bed": rot(("room_tone", "street"), i), "side": rot(("lead", "trail"), i + (i >= 2))})
        for room, noise, snr in (("small", None, None), ("hall", None, None), ("small", rot(("cafe", "babble"), 0), 20),
                                 ("hall", rot(("babble", "cafe"), 0), 20)):
            specs.append({"category": "reverb", "noise": noise or "none", "snr": snr, "kind": "reverb", "room": room})
        for i in range(3):
            specs.append({"category": "cut", "noise": rot(("babble", "music_rhythmic", "music_harmonic", "cafe"), i), "snr": 20,
                          "kind": "cut", "side": rot(("start", "end"), i)})

    # Prompts: a seeded order, each file taking the next unused sentence that its voice speaks in
    # 1.9-3.3 s (a used one only when none is left).
    order = np.random.default_rng(seed).permutation(len(PROMPTS))
    used = set()
    width = max(2, len(str(len(specs))))
    for k, s in enumerate(specs):
        voice, speed, pitch = worker(k, seed % 7)
        rate = 0.137 * speed  # about espeak-ng's French characters per second: only likely ones are spoken
        j = next((j for j in order if j not in used and 1.7 <= len(PROMPTS[j]) / rate <= 3.6
                  and 1.9 <= len(speak(PROMPTS[j], voice, speed, pitch)) / RATE <= 3.3), None)
        if j is None:
            j = next(j for j in order if 1.7 <= len(PROMPTS[j]) / rate <= 3.6 and 1.9 <= len(speak(PROMPTS[j], voice, speed, pitch)) / RATE <= 3.3)
        used.add(j)
        s.update(k=k, seed=seed, prompt=PROMPTS[j], voice=voice, speed=speed, pitch=pitch)
        snr_part = f"_{s['snr']:02d}db" if s["snr"] is not None else ""
        num = f"{k + 1:0{width}d}"
        if s["kind"] == "plain":
            s["file"] = f"{s['noise']}{snr_part}_{num}.flac"
        elif s["kind"] == "onset":
            s["file"] = f"onset_{s['mode']}_{s['noise']}{snr_part}_{num}.flac"
        elif s["kind"] == "event":
            s["noise"] = f"{s['bed']}+{'door_slam' if s['event'] == 'slam' else 'cough'}"
            s["file"] = f"event_{s['event']}_{s['side']}_{s['bed']}{snr_part}_{num}.flac"
        elif s["kind"] == "reverb":
            s["file"] = f"reverb_{s['room']}_{'clean' if s['snr'] is None else s['noise'] + snr_part}_{num}.flac"
        else:
            s["file"] = f"cut_{s['side']}_{s['noise']}{snr_part}_{num}.flac"
    return specs


def r10ms(x):
    return round(x * 100) / 100


def render(spec, out_dir):
    rng = np.random.default_rng([spec["seed"], spec["k"]])
    kind = spec["kind"]
    snr = spec["snr"]
    level_db = float(rng.uniform(-29.0, -18.0))
    speech = speak(spec["prompt"], spec["voice"], spec["speed"], spec["pitch"], -20.0)
    lead, trail = r10ms(rng.uniform(0.3, 1.2)), r10ms(rng.uniform(0.3, 1.2))
    if kind == "event":
        if spec["side"] == "lead":
            lead = r10ms(rng.uniform(1.05, 1.2))
        else:
            trail = r10ms(rng.uniform(1.05, 1.2))
    if kind == "reverb":
        trail = r10ms(rng.uniform(1.0, 1.2)) if spec["room"] == "small" else 1.2
    cut_s = 0.0
    if kind == "cut":
        # Cut inside a word: at a 10 ms frame 0.2-0.45 s from the edge within 10 dB of the level.
        p = frames_power(speech)
        lvl = active_level(speech)
        frames = np.arange(len(p))
        pos = frames if spec["side"] == "start" else frames[::-1]
        want = int(rng.uniform(20, 45))
        cand = [i for i in pos[want:] if p[i] >= lvl * 0.1]
        i = cand[0]
        if spec["side"] == "start":
            speech, lead = speech[i * 160:], 0.0
        else:
            speech, trail = speech[: (i + 1) * 160], 0.0
        cut_s = (len(frames) * 160 - len(speech)) / RATE
    speech_s = len(speech) / RATE
    # Keep the take within about 3-5 s: shrink or grow the padding that is free (0.3-1.2 s).
    free = [side for side in ("lead", "trail")
            if not (kind == "event" and spec["side"] == side) and not (kind == "reverb" and side == "trail")
            and not (kind == "cut" and side == spec["side"].replace("start", "lead").replace("end", "trail"))]
    pads = {"lead": lead, "trail": trail}
    for _ in range(40):
        total = pads["lead"] + speech_s + pads["trail"]
        if total > 5.0 and any(pads[f] > 0.3 for f in free):
            f = max(free, key=lambda f: pads[f])
            pads[f] = r10ms(max(0.3, pads[f] - 0.05))
        elif total < 3.0 and any(pads[f] < 1.2 for f in free):
            f = min(free, key=lambda f: pads[f])
            pads[f] = r10ms(min(1.2, pads[f] + 0.05))
        else:
            break
    lead, trail = pads["lead"], pads["trail"]
    dry = pad(speech, lead, trail)
    n = len(dry)
    dur = n / RATE
    notes = []

    tail_end = None
    if kind == "reverb":
        # A hall whose tail (35 dB) must end inside the file: the least reverberance reduction that fits.
        for rev in ((30,) if spec["room"] == "small" else (60, 55, 50, 45)):
            params = (rev, 50, 40, 5) if spec["room"] == "small" else (rev, 50, 100, 20)
            wet_full = reverb(dry, params[0], params[1], params[2], predelay=params[3], tail_s=3.0)
            clean = wet_full[:n]
            pw = frames_power(wet_full)
            if (np.nonzero(pw >= active_level(clean) * 10 ** (-35 / 10))[0][-1] + 1) * 160 < n - 480:
                break
        notes.append(f"sox reverb {params[0]} {params[1]} {params[2]} (pre-delay {params[3]} ms), {spec['room']} room")
    else:
        clean = dry

    # The noise, unscaled.
    exclude = spec["prompt"]
    noise = None
    if kind in ("plain", "onset", "cut") or (kind == "reverb" and snr is not None):
        noise, nn = make_noise(rng, spec["noise"], n, exclude)
        noise = unit(noise)
        notes.insert(0, nn)
        if kind == "onset":
            at = r10ms(rng.uniform(0.3, 0.7) * dur)
            noise = noise * fade_step(n, int(at * RATE), rng.uniform(0.02, 0.06), spec["mode"] == "start")
            notes.append(f"noise {'starts' if spec['mode'] == 'start' else 'stops'} at {at:.2f} s ({at / dur * 100:.0f} % of the take)")
    elif kind == "event":
        bed, bn = (room_tone if spec["bed"] == "room_tone" else street_bed)(rng, n)
        if spec["event"] == "slam":
            ev = door_slam(rng)
            desc = "door slam"
        else:
            ev, bursts = cough(rng)
            desc = f"cough ({bursts} burst{'s' if bursts > 1 else ''})"
        a, b = active_span(ev)
        ev = ev[a:b]
        if spec["side"] == "lead":
            at = r10ms(rng.uniform(0.08, max(0.1, lead - len(ev) / RATE - 0.12)))
        else:
            at = r10ms(lead + speech_s + rng.uniform(0.1, max(0.12, trail - len(ev) / RATE - 0.08)))
        track = np.zeros(n)
        place(track, int(at * RATE), ev)
        ratio = rng.uniform(3, 6)
        noise = unit(bed) + unit(track) * np.sqrt(ratio)
        ev_end = at + len(ev) / RATE
        assert ev_end <= (lead if spec["side"] == "lead" else dur) + 1e-9 and (spec["side"] == "lead" or at >= lead + speech_s)
        notes.append(f"{bn} with a {desc} at {at:.2f}-{ev_end:.2f} s in the {'leading' if spec['side'] == 'lead' else 'trailing'} pause, "
                     f"carrying {ratio / (1 + ratio) * 100:.0f} % of the noise power")
    floor = rng.standard_normal(n) * db(FLOOR_DB)

    # Levels: speech at level_db, noise scaled for the SNR; lower the whole take if it would clip.
    for _ in range(6):
        c = clean * np.sqrt(10 ** (level_db / 10) / active_level(clean))
        if noise is None:
            nz = floor
        else:
            target = active_level(c) / 10 ** (snr / 10)
            a2, b2, c2 = np.mean(noise**2), np.mean(noise * floor), np.mean(floor**2)
            s = (-b2 + np.sqrt(b2 * b2 - a2 * (c2 - target))) / a2
            nz = s * noise + floor
        mix = c + nz
        peak = np.max(np.abs(mix))
        if peak < 0.9:
            break
        level_db -= 20 * np.log10(peak / 0.85)
    assert level_db >= -30.0, (spec["file"], level_db)

    # Write, read back, and check what was written.
    path = os.path.join(out_dir, spec["file"])
    with tempfile.TemporaryDirectory() as tmp:
        wav = os.path.join(tmp, "x.wav")
        write_wav16(wav, mix)
        subprocess.run(["sox", wav, "-C", "8", path], check=True, capture_output=True)
    back = read_wav_float(path)
    q_mix = np.clip(np.round(mix * 32768), -32768, 32767) / 32768
    assert len(back) == n and np.array_equal(back, q_mix), spec["file"]
    q_clean = np.round(c * 32768) / 32768
    level = active_level(q_clean)
    peak = float(np.max(np.abs(back)))
    assert peak < 0.99, (spec["file"], peak)
    realised = 10 * np.log10(level / np.mean((back - q_clean) ** 2))
    if snr is not None:
        assert abs(realised - snr) < 0.1, (spec["file"], realised, snr)

    speech_start = lead
    speech_end = lead + speech_s
    truth = {"speech_start_s": round(speech_start, 4), "speech_end_s": round(speech_end, 4),
             "leading_silence_s": round(lead, 4), "trailing_silence_s": round(dur - speech_end, 4),
             "duration_s": round(dur, 4), "speech_s": round(speech_s, 4)}
    if snr is not None:
        truth["snr_db"] = snr
    truth["speech_level_dbfs"] = round(10 * np.log10(level), 2)
    if kind == "reverb":
        # On the untruncated wet signal, so a tail running past the file end would be caught.
        tail_end = (np.nonzero(pw >= active_level(clean) * 10 ** (-35 / 10))[0][-1] + 1) * 160 / RATE
        assert speech_end <= tail_end < dur - 0.02, (spec["file"], tail_end, dur)
        truth["reverb_tail_end_s"] = round(tail_end, 4)
        notes.append(f"wet speech within 35 dB until {tail_end:.2f} s")
    if kind == "cut":
        notes.append(f"{'first' if spec['side'] == 'start' else 'last'} {cut_s * 1000:.0f} ms of the utterance removed, inside a word")

    # Limits the take must respect so that no other reason is expected.
    assert 1.0 <= dur <= 15.0 and lead <= 1.2 and trail <= 1.2 and speech_s >= 1.0, spec["file"]
    reasons = []
    if kind == "cut":
        reasons.append(["truncated_start" if spec["side"] == "start" else "truncated_end", "reject"])
    if snr is not None and snr < 15:
        reasons.append(["low_snr", "reject"])
    elif snr is not None and snr < 25:
        reasons.append(["low_snr", "warn"])
    verdict = "reject" if any(r[1] == "reject" for r in reasons) else "accept"
    measured = f"realised SNR {realised:.2f} dB" if snr is not None else f"no added noise (the floor is {realised:.1f} dB under the speech)"
    notes.append(f"speech {truth['speech_level_dbfs']:.1f} dBFS, {measured}, peak {20 * np.log10(peak):.1f} dBFS")
    return {
        "file": spec["file"], "category": spec["category"], "noise": spec["noise"], "snr_db": snr,
        "prompt": spec["prompt"], "voice": spec["voice"], "speed": spec["speed"], "pitch": spec["pitch"],
        "verdict": verdict, "reasons": reasons, "truth": truth, "note": "; ".join(notes),
    }


def main():
    ap = argparse.ArgumentParser(description="Builds the realistic-noise corpus (see the module docstring).")
    which = ap.add_mutually_exclusive_group()
    which.add_argument("--full", action="store_true", help="the larger evaluation set")
    which.add_argument("--train", action="store_true", help="the set the speech-edge model is fitted on")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("out", nargs="?", help="output directory (default corpora/rooms, rooms-full or rooms-train)")
    args = ap.parse_args()
    kind = "full" if args.full else "train" if args.train else "small"
    out = os.path.abspath(args.out) if args.out else os.path.join(HERE, {"small": "rooms", "full": "rooms-full", "train": "rooms-train"}[kind])
    started = time.time()
    specs = plan(kind)
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            entries = list(pool.map(render, specs, [out] * len(specs), chunksize=1))
    else:
        entries = [render(s, out) for s in specs]
    entries.sort(key=lambda e: e["file"])
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump({"sample_rate": RATE,
                   "definitions": __doc__.split("Definitions used for the truth:")[1].split("Usage:")[0].strip(),
                   "files": entries}, f, indent=1, ensure_ascii=False)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(out, e["file"])) for e in entries)
    counts = {}
    for e in entries:
        counts[e["category"]] = counts.get(e["category"], 0) + 1
    print(f"{len(entries)} files ({', '.join(f'{k} {v}' for k, v in counts.items())}), "
          f"{total / 1e6:.2f} MB in {out}, {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
