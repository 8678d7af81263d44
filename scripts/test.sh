#!/usr/bin/env bash
# The test command: C++ tests (native, sanitizers, aarch64 under qemu, a short fuzz run) and the Python
# suite against the installed edgekd. Steps whose tools are missing say so and are skipped, except in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
step() { printf '\n=== %s ===\n' "$*"; }
need() {
  if command -v "$1" >/dev/null 2>&1; then return 0; fi
  if [ "${CI:-}" = "true" ]; then echo "missing tool in CI: $1" >&2; exit 1; fi
  echo "skipping: $1 not installed"; return 1
}

step "C++ tests (native, Release)"
cmake -S . -B build/test-native -DCMAKE_BUILD_TYPE=Release -DEDGEKD_BUILD_PYTHON=OFF >/dev/null
cmake --build build/test-native -j"$jobs"
ctest --test-dir build/test-native --output-on-failure

if need clang++ && [ -x scripts/sanitize_tests.sh ]; then
  step "C++ tests under ASan + UBSan"
  scripts/sanitize_tests.sh
fi

if need aarch64-linux-gnu-g++ && need qemu-aarch64 && [ -x scripts/arm_tests.sh ]; then
  step "C++ tests cross-built for aarch64, under qemu (cortex-a72: neon, cortex-a76: neondot)"
  scripts/arm_tests.sh
fi

if need clang++ && [ -x scripts/fuzz_model.sh ]; then
  step "Fuzzing the model reader (short run)"
  scripts/fuzz_model.sh "${FUZZ_SECONDS:-45}"
fi

# The Python that runs the benchmark step and pytest: $PYTHON, else python3 on PATH (an activated venv's own).
py="${PYTHON:-python3}"
if ! "$py" -c 'import edgekd, pytest, xdist' 2>/dev/null; then
  echo "$(command -v "$py"): edgekd or the test tools are not installed for it" \
       '(activate the venv you installed into, or: pip install ".[train,peers,dev]")' >&2
  exit 1
fi

# The Arm measurement (benchmarks/arm), short: one network, one CPU, edgekd (the edgekd-run arm_tests.sh
# built) and LiteRT + XNNPACK, so the method cannot rot. The arm64 root and wheels are cached in build/.
arm_run="${EDGEKD_ARM_BUILD_DIR:-build-arm}/edgekd-run"
if need debootstrap && need qemu-aarch64 && need llvm-mca && [ -x "$arm_run" ]; then
  if [ "$(id -u)" -ne 0 ] && [ "${CI:-}" != "true" ]; then
    echo "skipping the Arm benchmark: benchmarks/arm/setup.sh (debootstrap) runs as root"
  else
    step "Arm benchmark, short: instructions per inference under qemu (benchmarks/arm)"
    PYTHON="$py" SKIP_APT=1 benchmarks/arm/setup.sh build/arm-bench
    "$py" benchmarks/arm/measure.py --work build/arm-bench --json build/arm-bench/short.json \
      --networks "small CNN 28x28x1" --cpus cortex-a76 --runtimes edgekd,xnnpack --cycles cortex-a76 \
      --runner "$arm_run" --min-insns 5e6
  fi
fi

step "Python tests"
echo "python: $(command -v "$py") ($("$py" -c 'import sys; print(sys.prefix)'))"
"$py" -m pytest -q -n "$jobs" tests "$@"
