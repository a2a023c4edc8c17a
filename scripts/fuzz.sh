#!/usr/bin/env bash
# Fuzzes the DSP core's decode-and-analyse path for SECONDS (default 60): builds
# Fuzz/DecodeFuzzer.swift with AudioQC under libFuzzer and AddressSanitizer
# (swiftc -sanitize=fuzzer,address, into .build-fuzz/, apart from the normal build), seeds it
# with the sample corpus cut to half a second and converted to WAV, FLAC, Ogg Vorbis, Opus, MP3
# and a few other containers libsndfile reads, plus the regression files, and runs it.
# Every crash, timeout, leak or out-of-memory input is copied into
# Tests/AudioQCTests/FuzzRegressions/, which `swift test --filter AudioQCTests` replays; the
# script then exits non-zero. Inputs that found new coverage stay in .build-fuzz/corpus for the
# next run. See docs/fuzzing.md.
#
#   scripts/fuzz.sh 1800
#   scripts/fuzz.sh 900 -use_value_profile=1      (further arguments go to libFuzzer)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/system-packages.sh
ensure_swift
ensure_packages pkg-config libsndfile1-dev libfftw3-dev sox libsox-fmt-all ffmpeg

seconds=${1:-60}
# libFuzzer reads -max_total_time=0 as "no limit": a run always has one here.
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "usage: scripts/fuzz.sh SECONDS [libFuzzer flags…]" >&2; exit 2; }
shift $(( $# > 0 ? 1 : 0 ))

work=.build-fuzz
fuzzer=$work/parloir-decode-fuzzer
regressions=Tests/AudioQCTests/FuzzRegressions
mkdir -p "$work/module" "$work/corpus" "$work/artifacts" "$regressions"

# AudioQC is compiled as its own module, instrumented like the target, so that coverage guides
# the fuzzer through the DSP code. Exclusivity checks stay on here (the package turns them off
# for speed): an overlapping access is a bug the fuzzer should report, not step over.
audioqc_sources=$(find Sources/AudioQC -name '*.swift' | sort)
if [ ! -x "$fuzzer" ] || [ -n "$(find Sources/AudioQC Fuzz scripts/fuzz.sh -newer "$fuzzer" -type f | head -1)" ]; then
    echo "parloir: building the decoder fuzzer (swiftc -sanitize=fuzzer,address)" >&2
    flags=(-swift-version 6 -O -g -sanitize=fuzzer,address -use-ld=lld
           -enable-upcoming-feature ExistentialAny -enable-upcoming-feature MemberImportVisibility
           -I Sources/CSndFile -I Sources/CFFTW3 -module-cache-path "$work/module-cache")
    for include in $(pkg-config --cflags-only-I sndfile fftw3f); do flags+=(-Xcc "$include"); done
    # shellcheck disable=SC2086
    swiftc "${flags[@]}" -parse-as-library -module-name AudioQC -emit-library -static \
        -emit-module -emit-module-path "$work/module/AudioQC.swiftmodule" \
        -o "$work/libAudioQC.a" $audioqc_sources
    swiftc "${flags[@]}" -parse-as-library -I "$work/module" Fuzz/DecodeFuzzer.swift \
        "$work/libAudioQC.a" -lsndfile -lfftw3f -o "$fuzzer"
fi

# Seeds: half a second of every sample, so that one input decodes in a few milliseconds and
# mutations stay close to real containers. WAV keeps each file's own encoding (sox).
seeds=$work/seeds
rm -rf "$seeds"
mkdir -p "$seeds"
for sample in corpora/samples/*.wav corpora/samples/*.flac corpora/samples/*.ogg \
              corpora/samples/*.opus corpora/samples/*.mp3; do
    [ -e "$sample" ] || continue
    name=$(basename "${sample%.*}")
    # The corpus's deliberately broken files are seeds as they are.
    case "$sample" in
        *.wav) sox -q "$sample" "$seeds/$name.wav" trim 0 0.5 2>/dev/null ;;
        *) ffmpeg -v quiet -y -t 0.5 -i "$sample" -c:a pcm_s16le "$seeds/$name.wav" ;;
    esac || { rm -f "$seeds/$name.wav"; cp "$sample" "$seeds/"; continue; }
    base="$seeds/$name.wav"
    ffmpeg -v error -y -i "$base" -c:a flac "$seeds/$name.flac"
    ffmpeg -v error -y -i "$base" -c:a libvorbis -q:a 0 "$seeds/$name.ogg"
    ffmpeg -v error -y -i "$base" -c:a libopus -b:a 16k "$seeds/$name.opus"
    ffmpeg -v error -y -i "$base" -c:a libmp3lame -b:a 32k "$seeds/$name.mp3"
done
# libsndfile reads other containers too, and so does the upload route: one seed of each.
for container in aiff au w64 caf voc sph; do
    sox -q "$seeds/clean_fr-fr_0.wav" "$seeds/clean_fr-fr_0.$container"
done
echo "parloir: $(find "$seeds" -type f | wc -l) seeds in $seeds" >&2

# -max_len keeps mutated inputs near the seeds' size; -timeout and -rss_limit_mb turn a hang or
# an unbounded allocation into a finding: no input may take longer or hold more than that.
# The suppressions name leaks inside libsndfile itself, each explained there. libmpg123 writes
# its complaints about broken MP3 frames to stderr; they are dropped from the log.
log=$work/fuzz-$(date +%Y%m%d-%H%M%S).log
export LSAN_OPTIONS="suppressions=$PWD/Fuzz/lsan-suppressions.txt${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
# Swift's own crash backtracer reads the dying process's memory and trips ASan, which then
# reports that instead of the crash: libFuzzer and ASan print the stack themselves.
export SWIFT_BACKTRACE=enable=no
set +e
"$fuzzer" "$work/corpus" "$seeds" "$regressions" \
    -max_total_time="$seconds" -max_len=131072 -timeout=30 -rss_limit_mb=2048 \
    -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$@" 2>&1 \
    | grep --line-buffered -v -E '^(\[src/libmpg123/|Note: |Warning: )' | tee "$log"
status=${PIPESTATUS[0]}
set -e

# An input already in the regression folder (a seed that still fails) is named, not copied twice.
found=0
for artifact in "$work"/artifacts/*; do
    [ -f "$artifact" ] || continue
    kind=$(basename "$artifact" | cut -d- -f1)
    hash=$(sha1sum "$artifact" | cut -c1-40)
    known=$(sha1sum "$regressions"/* 2>/dev/null | awk -v h="$hash" '$1 == h { print $2; exit }')
    if [ -n "$known" ]; then
        echo "parloir: the fuzzer found a $kind on $known, which is already a regression file" >&2
    else
        cp "$artifact" "$regressions/$kind-$hash"
        echo "parloir: the fuzzer found a $kind: $regressions/$kind-$hash" >&2
    fi
    rm "$artifact"
    found=$((found + 1))
done
echo "parloir: log in $log" >&2
if [ "$found" -gt 0 ]; then
    echo "parloir: fix the decoder, check with 'swift test --filter FuzzRegressionTests', and commit the new files in $regressions/" >&2
    exit 1
fi
exit "$status"
