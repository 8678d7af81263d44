#!/usr/bin/env bash
# Build the edgekd core and its C++ tests with clang and AddressSanitizer + UndefinedBehaviorSanitizer
# (CMake option EDGEKD_SANITIZE, which also sets -fno-sanitize-recover=all so any report fails the test),
# then run them with ctest. Any sanitizer report, failing test or missing test fails the run.
#
#   scripts/sanitize_tests.sh
#
# Environment knobs (all optional):
#   EDGEKD_ASAN_BUILD_DIR  build directory                     (default: <repo>/build-asan)
#   EDGEKD_SANITIZERS      value of -fsanitize=                (default: address,undefined)
#   EDGEKD_CLANGXX         the clang++ to use                  (default: clang++, then clang++-14)
#   EDGEKD_JOBS            parallel build and test jobs        (default: 2)
#   EDGEKD_CMAKE_ARGS      extra arguments for the cmake configure step
#   EDGEKD_CTEST_ARGS      extra arguments for ctest (e.g. "-R test_gemm")
#   EDGEKD_ALLOW_WARNINGS  1: list compiler warnings without failing the run
# Needs: cmake, ninja or make, clang with its compiler-rt sanitizer runtimes (Debian: libclang-rt-14-dev).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${EDGEKD_ASAN_BUILD_DIR:-$ROOT/build-asan}"
SANITIZERS="${EDGEKD_SANITIZERS:-address,undefined}"
JOBS="${EDGEKD_JOBS:-2}"

die() { echo "sanitize_tests: FAIL: $*" >&2; exit 1; }

clangxx="${EDGEKD_CLANGXX:-}"  # not $CXX: CI often sets that to g++ for the other jobs
if [[ -z "$clangxx" ]]; then
  for c in clang++ clang++-14; do
    if command -v "$c" >/dev/null; then clangxx="$c"; break; fi
  done
fi
[[ -n "$clangxx" ]] && command -v "$clangxx" >/dev/null || die "clang++ not found (Debian: apt-get install clang libclang-rt-14-dev)"
"$clangxx" --version | grep -qi clang || die "EDGEKD_CLANGXX=$clangxx is not clang (the sanitizer flags and runtimes assumed here are clang's)"
command -v cmake >/dev/null || die "cmake not found"

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
# shellcheck disable=SC2206  # word splitting of the extra args is intended
extra_args=(${EDGEKD_CMAKE_ARGS:-})
# shellcheck disable=SC2206
ctest_args=(${EDGEKD_CTEST_ARGS:-})

echo "== configure $BUILD ($clangxx, -fsanitize=$SANITIZERS)"
# RelWithDebInfo: optimised enough that kernel sweeps finish, with line numbers in sanitizer reports.
cmake -S "$ROOT" -B "$BUILD" "${generator[@]}" \
  -DCMAKE_CXX_COMPILER="$clangxx" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DEDGEKD_SANITIZE="$SANITIZERS" \
  -DEDGEKD_BUILD_PYTHON=OFF -DEDGEKD_BUILD_TESTS=ON -DEDGEKD_BUILD_TOOLS=ON \
  "${extra_args[@]}"
echo "== build"
# A compiler warning in the files this run compiles fails it too (clang sees what GCC does not: unknown warning options in pragmas,
# unused private fields, ...). Set EDGEKD_ALLOW_WARNINGS=1 to only list them.
build_log="$BUILD/build.log"
cmake --build "$BUILD" -j "$JOBS" 2>&1 | tee "$build_log"
[[ ${PIPESTATUS[0]} -eq 0 ]] || die "build failed (log: $build_log)"
if grep -q "warning:" "$build_log"; then
  grep "warning:" "$build_log" | sort -u | sed 's/^/  | /' >&2
  [[ "${EDGEKD_ALLOW_WARNINGS:-0}" == 1 ]] || die "the build printed compiler warnings (above; EDGEKD_ALLOW_WARNINGS=1 to go on)"
fi

ntests=$(ctest --test-dir "$BUILD" -N | sed -n 's/^Total Tests: *//p')
[[ "${ntests:-0}" -gt 0 ]] || die "ctest lists no tests in $BUILD"

# halt_on_error / abort: the first report ends the test with a failure instead of scrolling past.
# detect_leaks: LeakSanitizer is part of ASan on Linux x86-64; leaks fail too.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
unset EDGEKD_ISA EDGEKD_EXPECT_ISA
echo "== ctest ($ntests tests; ASAN_OPTIONS=$ASAN_OPTIONS)"
if ! ctest --test-dir "$BUILD" --output-on-failure -j "$JOBS" "${ctest_args[@]}"; then
  die "sanitized C++ tests failed (logs: $BUILD/Testing/Temporary/LastTest.log)"
fi
echo "sanitize_tests: OK: $ntests sanitized C++ test(s) passed (-fsanitize=$SANITIZERS)"
