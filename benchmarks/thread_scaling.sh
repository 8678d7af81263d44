#!/usr/bin/env bash
# Per-op thread scaling of a model in one process (see thread_scaling.cpp):
#   benchmarks/thread_scaling.sh model.tflite [THREADS_A [THREADS_B [ROUNDS [RUNS]]]]
# e.g. benchmarks/thread_scaling.sh m.tflite 1 2 16 200 prints each op's time at 1 and 2 threads and the
# speedup. Builds the working tree's runtime once under ${TMPDIR:-/tmp}/edgekd-scaling.
set -euo pipefail
if [[ $# -lt 1 ]]; then
  sed -n '2,5p' "$0" >&2
  exit 2
fi
root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
work=${TMPDIR:-/tmp}/edgekd-scaling
mkdir -p "$work"
if [[ ! -f $work/build/CMakeCache.txt ]]; then
  cmake -S "$root" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEDGEKD_BUILD_PYTHON=OFF \
    -DEDGEKD_BUILD_TESTS=OFF -DEDGEKD_BUILD_TOOLS=OFF > "$work/configure.log" 2>&1 || { cat "$work/configure.log" >&2; exit 1; }
fi
cmake --build "$work/build" --target edgekd_core > "$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; exit 1; }
"${CXX:-c++}" -O2 -std=c++17 -I"$root/csrc" -I"$root/csrc/include" "$root/benchmarks/thread_scaling.cpp" \
  "$work/build/libedgekd_core.a" -lpthread -o "$work/thread_scaling"
exec "$work/thread_scaling" "$@"
