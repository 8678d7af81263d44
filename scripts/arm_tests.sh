#!/usr/bin/env bash
# Cross-build the edgekd core and its C++ tests for aarch64 with Debian's cross compiler, then run every
# ctest executable under qemu-user once per emulated CPU model, telling test_cpu which SIMD path that CPU
# must select (EDGEKD_EXPECT_ISA). Any build error, failing test, missing test or wrong path fails the run.
#
#   scripts/arm_tests.sh                      # cortex-a72 -> neon (Pi 4), cortex-a76 -> neondot (Pi 5)
#
# Environment knobs (all optional):
#   EDGEKD_ARM_BUILD_DIR  build directory                       (default: <repo>/build-arm)
#   EDGEKD_ARM_CPUS       "qemu-cpu:expected-isa ..." pairs     (default: "cortex-a72:neon cortex-a76:neondot")
#   EDGEKD_TARGET_CPU     -mcpu for the whole build; must run on every CPU above (default: cortex-a72)
#   EDGEKD_JOBS           parallel build jobs                   (default: 2)
#   EDGEKD_TEST_TIMEOUT   seconds per test executable under qemu (default: 1200)
#   EDGEKD_CMAKE_ARGS     extra arguments for the cmake configure step
#   EDGEKD_ALLOW_WARNINGS 1: list compiler warnings without failing the run
# Needs: cmake, ninja or make, g++-aarch64-linux-gnu, qemu-user, python3.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${EDGEKD_ARM_BUILD_DIR:-$ROOT/build-arm}"
CPUS="${EDGEKD_ARM_CPUS:-cortex-a72:neon cortex-a76:neondot}"
TARGET_CPU="${EDGEKD_TARGET_CPU-cortex-a72}"
JOBS="${EDGEKD_JOBS:-2}"
TEST_TIMEOUT="${EDGEKD_TEST_TIMEOUT:-1200}"
CROSS_ROOT=/usr/aarch64-linux-gnu
TOOLCHAIN="$ROOT/devices/toolchains/aarch64-linux-gnu.cmake"

die() { echo "arm_tests: FAIL: $*" >&2; exit 1; }

for tool in cmake ctest aarch64-linux-gnu-g++ qemu-aarch64 python3; do
  command -v "$tool" >/dev/null || die "'$tool' not found (Debian: apt-get install cmake g++-aarch64-linux-gnu qemu-user python3)"
done
[[ -e "$CROSS_ROOT/lib/ld-linux-aarch64.so.1" ]] || die "$CROSS_ROOT/lib/ld-linux-aarch64.so.1 missing (apt-get install libc6-arm64-cross)"
available_cpus="$(qemu-aarch64 -cpu help || true)"  # qemu 7 exits 1 after printing the list
for pair in $CPUS; do
  cpu="${pair%%:*}"
  [[ "$pair" == *:* && -n "${pair#*:}" ]] || die "EDGEKD_ARM_CPUS entry '$pair' is not qemu-cpu:expected-isa"
  grep -qw -- "$cpu" <<<"$available_cpus" || die "this qemu-aarch64 has no CPU model '$cpu' (qemu-aarch64 -cpu help)"
done

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
# shellcheck disable=SC2206  # word splitting of the extra args is intended
extra_args=(${EDGEKD_CMAKE_ARGS:-})

echo "== configure $BUILD (toolchain aarch64-linux-gnu, -mcpu=${TARGET_CPU:-<generic>})"
cmake -S "$ROOT" -B "$BUILD" "${generator[@]}" \
  -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" \
  -DCMAKE_BUILD_TYPE=Release \
  -DEDGEKD_TARGET_CPU="$TARGET_CPU" \
  -DEDGEKD_BUILD_PYTHON=OFF -DEDGEKD_BUILD_TESTS=ON -DEDGEKD_BUILD_TOOLS=ON \
  "${extra_args[@]}"
echo "== build"
# A compiler warning in the files this run compiles fails it too (e.g. the -mcpu / -march conflict that
# CMakeLists.txt avoids for the dotprod files). Set EDGEKD_ALLOW_WARNINGS=1 to only list them.
build_log="$BUILD/build.log"
mkdir -p "$BUILD"
cmake --build "$BUILD" -j "$JOBS" 2>&1 | tee "$build_log"
[[ ${PIPESTATUS[0]} -eq 0 ]] || die "build failed (log: $build_log)"
if grep -q "warning:" "$build_log"; then
  grep "warning:" "$build_log" | sort -u | sed 's/^/  | /' >&2
  [[ "${EDGEKD_ALLOW_WARNINGS:-0}" == 1 ]] || die "the build printed compiler warnings (above; EDGEKD_ALLOW_WARNINGS=1 to go on)"
fi

# The tests ctest knows, as "name<TAB>executable<TAB>workdir<TAB>args as JSON", one per line. The command
# ctest stores may start with the toolchain's emulator; we run qemu ourselves with an explicit -cpu, so
# the executable is the first element that is a file inside the build tree.
tests_tsv="$BUILD/arm-tests.tsv"
ctest --test-dir "$BUILD" --show-only=json-v1 | python3 -c '
import json, os, sys
build = os.path.realpath(sys.argv[1])
for t in json.load(sys.stdin).get("tests", []):
    cmd = t.get("command") or []
    exe_i = next((i for i, c in enumerate(cmd)
                  if os.path.isfile(c) and os.path.realpath(c).startswith(build + os.sep)), None)
    if exe_i is None:
        sys.exit("arm_tests: FAIL: cannot find the executable of test %r in %r" % (t["name"], cmd))
    wd = next((p["value"] for p in t.get("properties", []) if p["name"] == "WORKING_DIRECTORY"), build)
    print("\t".join([t["name"], cmd[exe_i], wd, json.dumps(cmd[exe_i + 1:])]))
' "$BUILD" >"$tests_tsv"
ntests=$(wc -l <"$tests_tsv")
[[ "$ntests" -gt 0 ]] || die "ctest lists no tests in $BUILD"

# Every test binary must really be aarch64 (a host binary would "pass" without testing anything).
while IFS=$'\t' read -r name exe _wd _args; do
  python3 - "$exe" <<'PY' || die "$name ($exe) is not an aarch64 ELF executable"
import sys
with open(sys.argv[1], "rb") as f:
    h = f.read(20)
sys.exit(0 if h[:4] == b"\x7fELF" and int.from_bytes(h[18:20], "little") == 183 else 1)  # EM_AARCH64
PY
done <"$tests_tsv"

# *_neondot.cpp is compiled with -march=armv8.2-a+dotprod. An inline or template function it instantiates
# with external linkage (a weak symbol) may be the copy the linker keeps for the whole program, and that
# copy may use ARMv8.1+ instructions (GCC inlines LSE atomics such as ldaddal at armv8.2-a): SIGILL on a
# Cortex-A72/A57/A53. Listed here; EDGEKD_STRICT_ISA_SYMBOLS=1 makes it an error.
nm_tool=aarch64-linux-gnu-nm
if command -v "$nm_tool" >/dev/null; then
  weak=$(find "$BUILD" -name '*_neondot.cpp.o' -print0 | xargs -0 -r "$nm_tool" -C --defined-only 2>/dev/null \
         | grep -E '^[0-9a-f]+ [WV] ' || true)
  if [[ -n "$weak" ]]; then
    echo "arm_tests: WARNING: *_neondot.cpp objects define weak symbols the linker may pick for non-dotprod CPUs:"
    sed 's/^/  | /' <<<"$weak" | head -n 40
    [[ "${EDGEKD_STRICT_ISA_SYMBOLS:-0}" == 1 ]] && die "weak symbols in ARMv8.2 objects (see above)"
  fi
fi

failures=()
runs=0
for pair in $CPUS; do
  cpu="${pair%%:*}"
  isa="${pair#*:}"
  logdir="$BUILD/qemu-logs/$cpu"
  mkdir -p "$logdir"
  echo "== qemu-aarch64 -cpu $cpu, EDGEKD_EXPECT_ISA=$isa: $ntests test executable(s)"
  while IFS=$'\t' read -r name exe wd args_json; do
    mapfile -t args < <(python3 -c 'import json,sys; print("\n".join(json.loads(sys.argv[1])))' "$args_json" | sed '/^$/d')
    log="$logdir/$name.log"
    start=$SECONDS
    set +e
    (cd "$wd" && env -u EDGEKD_ISA EDGEKD_EXPECT_ISA="$isa" \
       timeout "$TEST_TIMEOUT" qemu-aarch64 -L "$CROSS_ROOT" -cpu "$cpu" "$exe" "${args[@]}") \
       </dev/null >"$log" 2>&1
    rc=$?
    set -e
    runs=$((runs + 1))
    if [[ $rc -eq 0 ]]; then
      printf '  PASS  %-32s %4ds\n' "$name" $((SECONDS - start))
    else
      why="exit $rc"
      [[ $rc -eq 124 ]] && why="timed out after ${TEST_TIMEOUT}s"
      [[ $rc -eq 132 ]] && why="SIGILL: an instruction this CPU lacks ran"
      printf '  FAIL  %-32s %4ds  (%s)\n' "$name" $((SECONDS - start)) "$why"
      echo "  ---- last lines of $log ----"
      tail -n 40 "$log" | sed 's/^/  | /'
      failures+=("$cpu/$name: $why")
    fi
  done <"$tests_tsv"
done

if [[ ${#failures[@]} -gt 0 ]]; then
  echo "arm_tests: FAIL: ${#failures[@]} of $runs emulated test runs failed:" >&2
  printf '  %s\n' "${failures[@]}" >&2
  exit 1
fi
echo "arm_tests: OK: $runs emulated test runs passed ($ntests executable(s) x CPUs: $CPUS)"
