#!/usr/bin/env bash
# Fuzzes edgekd's .tflite reader / verifier / loader with libFuzzer, ASan and UBSan for a short run.
#   scripts/fuzz_model.sh [seconds=60] [build-dir=build-fuzz]
# The whole core is built with -fsanitize=fuzzer-no-link so coverage guides the fuzzer through the reader.
# The seed corpus holds valid models: those in tests/data and tests/data/state (LSTM, SVDF, resource
# variables), and (when the Python package is importable) the writer's one-op models and small networks,
# plus tests/data/fuzz (inputs that once crashed it). Crashes land in $BUILD/crashes and fail the script.
# The seed is fixed (FUZZ_SEED, default 1) so a CI run replays a prefix of what a longer local run with the
# same seed has already explored.
set -euo pipefail
SECONDS_TO_RUN="${1:-60}"
BUILD="${2:-build-fuzz}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
CC_BIN="${CC:-$(command -v clang-14 || command -v clang)}"
CXX_BIN="${CXX:-$(command -v clang++-14 || command -v clang++)}"
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER="$CC_BIN" \
  -DCMAKE_CXX_COMPILER="$CXX_BIN" -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link" -DEDGEKD_FUZZ=ON -DEDGEKD_SANITIZE=address,undefined \
  -DEDGEKD_BUILD_TESTS=ON -DEDGEKD_BUILD_PYTHON=OFF -DEDGEKD_BUILD_TOOLS=OFF >/dev/null
cmake --build "$BUILD" -j"${JOBS:-2}" --target fuzz_model

CORPUS="$BUILD/corpus"
mkdir -p "$CORPUS" "$BUILD/crashes"
cp tests/data/*.tflite "$CORPUS"/ 2>/dev/null || true
cp tests/data/float/*.tflite "$CORPUS"/ 2>/dev/null || true  # float32 and float16-weight models
cp tests/data/state/*.tflite "$CORPUS"/ 2>/dev/null || true  # LSTM and SVDF models (variable tensors)
cp tests/data/fuzz/* "$CORPUS"/ 2>/dev/null || true  # inputs that once crashed the fuzzer (regressions)
# The Python seeds need edgekd importable by $PYTHON (default: python3 on PATH, an activated venv's own);
# in CI a failure here is an install problem and fails the run.
seeds_failed() {
  if [ "${CI:-}" = "true" ]; then echo "fuzz_model.sh: writing the Python seed models failed in CI" >&2; exit 1; fi
  echo "fuzz_model.sh: Python seed models skipped (edgekd not importable)"
}
"${PYTHON:-python3}" - "$CORPUS" <<'PY' || seeds_failed
import sys
from pathlib import Path
from edgekd.testing import models
from edgekd.tflite.writer import write_tflite
out = Path(sys.argv[1])
for name, g in models.all_one_op_models(seed=0).items():
    (out / f"one_op_{name.lower()}.tflite").write_bytes(write_tflite(g))
(out / "small_cnn.tflite").write_bytes(write_tflite(models.small_cnn(seed=0)))
(out / "small_cnn_chain.tflite").write_bytes(write_tflite(models.small_cnn(seed=0, flatten="chain")))
(out / "mnv3_tiny.tflite").write_bytes(write_tflite(models.mobilenet_v3_small(alpha=0.35, input_size=32, num_classes=4)))
# One model per shape / reduction op (TRANSPOSE, SLICE, GATHER, RESIZE_*, SUM, ...), written independently of
# edgekd's writer by tests/litert_oneop.py.
sys.path.insert(0, "tests")
import shape_op_models
for name, data in shape_op_models.models().items():
    (out / f"one_op_{name}.tflite").write_bytes(data)
PY
# One model per math op (SUB, DIV, GELU, BATCH_MATMUL, TRANSPOSE_CONV, dilated convs, ...), built by the
# tests' own flatbuffer builder (tests/litert_oneop_math.py).
"${PYTHON:-python3}" - "$CORPUS" "$ROOT/tests" <<'PY' || seeds_failed
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[2])
import litert_oneop_math
for name, model in litert_oneop_math.corpus(seed=0).items():
    (Path(sys.argv[1]) / f"math_{name}.tflite").write_bytes(model)
PY
echo "fuzz_model.sh: $(ls "$CORPUS" | wc -l) seeds, ${SECONDS_TO_RUN}s"
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
"$BUILD/fuzz_model" "$CORPUS" -seed="${FUZZ_SEED:-1}" -max_total_time="$SECONDS_TO_RUN" -max_len=600000 -timeout=10 \
  -rss_limit_mb=2048 -artifact_prefix="$BUILD/crashes/" -print_final_stats=1
