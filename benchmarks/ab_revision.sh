#!/usr/bin/env bash
# In-process A/B of the working tree's runtime against a git revision's (see ab_revision.cpp):
#   benchmarks/ab_revision.sh REV model.tflite THREADS [ROUNDS [RUNS [FIRST_OP [LAST_OP]]]]
# e.g. benchmarks/ab_revision.sh HEAD m.tflite 2 16 100 to measure an uncommitted change at 2 threads.
# The revision is exported with git archive and built once per commit under ${TMPDIR:-/tmp}, with every
# edgekd symbol renamed to edgekd_base so both builds link into one binary.
set -euo pipefail
if [[ $# -lt 3 ]]; then
  sed -n '2,6p' "$0" >&2
  exit 2
fi
rev=$1; shift
root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
commit=$(git -C "$root" rev-parse --verify "$rev^{commit}")
work=${TMPDIR:-/tmp}/edgekd-ab
base=$work/base-$commit
mkdir -p "$work"
configure() {  # src build extra-flags
  cmake -S "$1" -B "$2" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEDGEKD_BUILD_PYTHON=OFF -DEDGEKD_BUILD_TESTS=OFF \
    -DEDGEKD_BUILD_TOOLS=OFF "-DCMAKE_CXX_FLAGS=$3" > "$2.log" 2>&1 || { cat "$2.log" >&2; exit 1; }
}
if [[ ! -f $base/build/libedgekd_core.a ]]; then
  rm -rf "$base" && mkdir -p "$base/src"
  git -C "$root" archive "$commit" | tar -x -C "$base/src"
  configure "$base/src" "$base/build" "-Dedgekd=edgekd_base"
  cmake --build "$base/build" --target edgekd_core > "$base/build.log" 2>&1 || { tail -30 "$base/build.log" >&2; exit 1; }
fi
new=$work/new
[[ -f $new/CMakeCache.txt ]] || configure "$root" "$new" ""
cmake --build "$new" --target edgekd_core > "$work/new-build.log" 2>&1 || { tail -30 "$work/new-build.log" >&2; exit 1; }
cxx=${CXX:-c++}
"$cxx" -O2 -std=c++17 -DAB_BASE -Dedgekd=edgekd_base -I"$base/src/csrc" -I"$base/src/csrc/include" \
  -c "$root/benchmarks/ab_revision.cpp" -o "$work/ab_base.o"
"$cxx" -O2 -std=c++17 -I"$root/csrc" -I"$root/csrc/include" "$root/benchmarks/ab_revision.cpp" "$work/ab_base.o" \
  "$new/libedgekd_core.a" "$base/build/libedgekd_core.a" -lpthread -o "$work/ab_revision"
exec "$work/ab_revision" "$@"
