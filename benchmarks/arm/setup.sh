#!/usr/bin/env bash
# Everything benchmarks/arm/measure.py needs, on a Debian 12 x86-64 machine, as root, with no network but
# Debian's archive and PyPI. Idempotent: a finished step is kept (a stamp file) and skipped next time.
#
#   benchmarks/arm/setup.sh [WORKDIR]          (default: build/arm-bench)
#
# 1. Debian packages: qemu-user (-plugin support), debootstrap, the aarch64 cross compiler, gcc, llvm
#    (llvm-mc and llvm-mca for cycle estimates). SKIP_APT=1 skips this step.
# 2. WORKDIR/rootfs: an arm64 Debian root with CPython 3.11, unpacked without chroot (debootstrap's first
#    stage downloads, dpkg -x unpacks), from the mirror this machine's apt sources name.
# 3. WORKDIR/pyarm: aarch64 wheels of ai-edge-litert (the host's version) and numpy, by the host's pip.
# 4. WORKDIR/prefix-<cpu>: qemu -L prefixes that show each board's core to the guest (cpus.py).
# 5. The counting plugin, compiled and checked on a loop of exactly known length.
# Environment: PYTHON (default python3: the one with edgekd installed), SUITE (default bookworm).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
WORK="$(mkdir -p "${1:-$ROOT/build/arm-bench}" && cd "${1:-$ROOT/build/arm-bench}" && pwd)"
PY="${PYTHON:-python3}"
SUITE="${SUITE:-bookworm}"
say() { printf '== %s\n' "$*"; }
die() { echo "arm setup: $*" >&2; exit 1; }

if [[ "${SKIP_APT:-0}" != 1 ]]; then
  need=()
  for pair in qemu-aarch64:qemu-user debootstrap:debootstrap aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu \
              aarch64-linux-gnu-g++:g++-aarch64-linux-gnu gcc:gcc llvm-mca:llvm dpkg-deb:dpkg; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
  done
  [[ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ]] || need+=(libc6-dev-arm64-cross)
  if [[ ${#need[@]} -gt 0 ]]; then
    say "apt-get install ${need[*]}"
    [[ $(id -u) -eq 0 ]] || die "run as root to install ${need[*]} (or install them and set SKIP_APT=1)"
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
  fi
fi

# The Debian archive this machine's apt uses (one-line .list or deb822 .sources), for $SUITE's main.
mirror() {
  "$PY" - "$SUITE" /etc/apt/sources.list /etc/apt/sources.list.d/* <<'PY'
import re, sys
suite, found = sys.argv[1], []
for path in sys.argv[2:]:
    try:
        text = open(path).read()
    except OSError:
        continue
    if path.endswith(".sources"):
        for stanza in re.split(r"\n\s*\n", text):
            f = dict((k.strip().lower(), v.strip()) for k, v in
                     (l.split(":", 1) for l in stanza.splitlines() if ":" in l and not l.startswith("#")))
            if "deb" in f.get("types", "").split() and suite in f.get("suites", "").split():
                found += f.get("uris", "").split()
    else:
        for l in text.splitlines():
            w = re.sub(r"\[[^]]*\]", "", l).split()
            if len(w) >= 3 and w[0] == "deb" and w[2] == suite:
                found.append(w[1])
if not found:
    sys.exit(f"no apt source serves suite {suite!r}")
print(found[0])
PY
}

if [[ ! -e "$WORK/rootfs/.complete" ]]; then
  url="$(mirror)" || die "cannot find a Debian mirror for $SUITE in /etc/apt/sources*"
  say "arm64 root from $url ($SUITE, minbase + python3.11)"
  rm -rf "$WORK/rootfs.tmp"
  debootstrap --arch=arm64 --foreign --variant=minbase --include=python3.11,libpython3.11-stdlib \
    "$SUITE" "$WORK/rootfs.tmp" "$url" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -n 20 "$WORK/debootstrap.log" >&2; die "debootstrap failed (log: $WORK/debootstrap.log)"; }
  # The first stage unpacks only the essential packages; the rest (python3.11 with it) wait as .debs.
  for deb in "$WORK"/rootfs.tmp/var/cache/apt/archives/*.deb; do dpkg -x "$deb" "$WORK/rootfs.tmp"; done
  [[ -x "$WORK/rootfs.tmp/usr/bin/python3.11" ]] || die "no python3.11 in the arm64 root"
  rm -rf "$WORK/rootfs" && mv "$WORK/rootfs.tmp" "$WORK/rootfs" && touch "$WORK/rootfs/.complete"
fi

litert="$("$PY" -c 'import importlib.metadata as m; print(m.version("ai-edge-litert"))' 2>/dev/null || true)"
spec="ai-edge-litert${litert:+==$litert}"
if [[ ! -e "$WORK/pyarm/.complete-$spec" ]]; then
  say "aarch64 wheels: $spec numpy (cp311)"
  rm -rf "$WORK/pyarm"
  "$PY" -m pip install -q --no-warn-conflicts --target "$WORK/pyarm" --only-binary=:all: --python-version 3.11 \
    --implementation cp --abi cp311 --platform manylinux_2_17_aarch64 --platform manylinux2014_aarch64 \
    --platform manylinux_2_27_aarch64 --platform manylinux_2_28_aarch64 "$spec" numpy \
    || die "pip could not fetch the aarch64 wheels"
  touch "$WORK/pyarm/.complete-$spec"
fi

say "qemu -L prefixes"
"$PY" "$HERE/cpus.py" make-prefixes "$WORK"

say "counting plugin"
"$PY" -c 'from edgekd.deploy.insncount import check_plugin, plugin_path
n = check_plugin()
print(f"{plugin_path()}: counted {n:,} instructions in the loop of exactly {n:,}")'
say "ready: $WORK (python3 benchmarks/arm/measure.py)"
