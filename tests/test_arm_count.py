"""Instructions under qemu (edgekd.deploy.insncount), their llvm-mca cycle estimate (edgekd.deploy.cycles),
the qemu -L prefixes that show a board's core to the guest (benchmarks/arm/cpus.py) and how `deploy
--emulate` labels the figures. The whole measurement runs in scripts/test.sh (benchmarks/arm, short)."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from edgekd.deploy import insncount
from edgekd.deploy.emulate import count_rows
from edgekd.deploy.insncount import Count, PerInference
from edgekd.errors import EdgekdError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks" / "arm"))
import cpus  # noqa: E402

have_qemu = all(shutil.which(t) for t in ("qemu-aarch64", "aarch64-linux-gnu-gcc")) and (
    shutil.which("cc") or shutil.which("gcc"))
have_mca = bool(shutil.which("llvm-mca") and shutil.which("llvm-mc"))
LOOP = bytes.fromhex("000400f1e1ffff54")  # subs x0, x0, #1; b.ne .-4
SETUP = bytes.fromhex("004888d2e001a0f2")  # mov x0, #16960; movk x0, #15, lsl #16


@pytest.mark.skipif(not have_qemu, reason="needs qemu-user, gcc-aarch64-linux-gnu and a C compiler")
def test_plugin_counts_a_loop_exactly(tmp_path, monkeypatch):
    monkeypatch.setenv("EDGEKD_CACHE", str(tmp_path))
    assert insncount.check_plugin() == insncount.LOOP_INSNS == 2_000_005
    assert insncount.plugin_path().parent == tmp_path / "insncount"


@pytest.mark.skipif(not have_qemu, reason="needs qemu-user, gcc-aarch64-linux-gnu and a C compiler")
def test_failing_program_is_one_error(tmp_path, monkeypatch):
    monkeypatch.setenv("EDGEKD_CACHE", str(tmp_path))
    with pytest.raises(EdgekdError, match="counting .* failed"):
        insncount.counted(["qemu-aarch64", str(tmp_path / "absent")])


def test_per_inference_is_the_difference_over_the_runs():
    base = Count(1000, 1, {"main": 600, "kernel": 400}, [(0x10, 2, 100, LOOP), (0x20, 2, 1, SETUP)])
    long = Count(5000, 1, {"main": 600, "kernel": 4400}, [(0x10, 2, 2100, LOOP), (0x20, 2, 1, SETUP)])
    per = PerInference.between(long, base, 4)
    assert per.insns == 1000 and per.runs == 4
    assert per.symbols == {"kernel": 1000}  # what cancels is left out
    assert per.blocks == {(0x10, LOOP): 500}


def test_several_guest_threads_are_refused():
    with pytest.raises(EdgekdError, match="ran 2 threads"):
        PerInference.between(Count(10, 2), Count(5, 1), 1)


@pytest.mark.skipif(not have_mca, reason="needs llvm (llvm-mc, llvm-mca)")
def test_cycle_estimate_weights_blocks_by_executions():
    from edgekd.deploy.cycles import disassemble, estimate, mca_cycles

    asm = disassemble([LOOP, SETUP + LOOP, bytes.fromhex("ffffffff")])
    assert asm[0] == ["subs\tx0, x0, #1", "b.ne\t#-4"] and len(asm[1]) == 4
    assert asm[2] is None  # an undecodable word
    loop_cycles = mca_cycles([asm[0]], "cortex-a72")[0]
    assert 0.5 <= loop_cycles <= 3
    est = estimate({(0x10, LOOP): 1000.0, (0x20, SETUP + LOOP): 1.0}, "cortex-a72", coverage=0.99)
    assert est.hot_blocks == 1 and est.coverage == pytest.approx(2000 / 2004)
    assert est.cycles == pytest.approx(1000 * loop_cycles * 2004 / 2000)
    assert est.cycles_per_insn == pytest.approx(loop_cycles / 2)


def test_prefix_shows_one_board_core(tmp_path):
    root = tmp_path / "rootfs"
    (root / "usr" / "lib").mkdir(parents=True)
    (root / "proc").mkdir()
    (root / "lib").symlink_to("usr/lib")
    prefix = tmp_path / "prefix"
    cpus.make_prefix(root, prefix, cpus.CPUS["cortex-a76"], 2_400_000)
    info = (prefix / "proc" / "cpuinfo").read_text()
    assert "CPU part\t: 0xd0b" in info and "CPU variant\t: 0x4" in info and "CPU revision\t: 1" in info
    assert "asimddp" in info and info.count("processor") == 1
    sysdir = prefix / "sys" / "devices" / "system" / "cpu"
    assert (sysdir / "cpu0" / "regs" / "identification" / "midr_el1").read_text().strip() == "0x00000000414fd0b1"
    assert (sysdir / "possible").read_text().strip() == "0"
    assert (sysdir / "cpu0" / "cache" / "index2" / "size").read_text().strip() == "512K"
    assert (prefix / "usr").resolve() == (root / "usr").resolve()
    assert (prefix / "lib").readlink() == Path("usr/lib")
    assert not (prefix / "proc").is_symlink()


def test_board_identities():
    parts = {name: c.field(4, 12) for name, c in cpus.CPUS.items()}
    assert parts == {"cortex-a76": 0xD0B, "cortex-a72": 0xD08, "cortex-a57": 0xD07, "cortex-a78": 0xD41}
    assert all(c.field(24, 8) == 0x41 and c.field(16, 4) == 0xF for c in cpus.CPUS.values())
    assert "asimddp" not in cpus.CPUS["cortex-a72"].features


def test_emulation_figures_are_labelled():
    c = {"instructions_per_inference": 7_700_000, "clock_mhz": 2400, "est_ms": 3.75}
    rows = dict(count_rows(dict(c, est_cycles_per_inference=9_000_000, cycle_model="llvm-mca -mcpu=cortex-a76")))
    assert rows == {"instructions / inference (qemu count, 1 thread; not time)": "7.700 M",
                    "est. cycles / inference (llvm-mca -mcpu=cortex-a76; no caches)": "9.000 M",
                    "est. time / inference (those cycles at 2400 MHz)": "3.75 ms"}
    assert count_rows(c)[1] == ("est. time / inference (1 instruction per cycle at 2400 MHz)", "3.75 ms")
    assert count_rows({"error": "no C compiler"}) == [("instructions / inference", "not counted: no C compiler")]
