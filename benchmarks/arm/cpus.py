"""The emulated boards, and the qemu `-L` prefix that shows each one to the guest.

LiteRT (through the cpuinfo library) reads /proc/cpuinfo and /sys/devices/system/cpu to learn the cores it
runs on. Under qemu-user it would read the x86 host's files and crash (SIGSEGV in its topology code), so
each CPU gets a prefix directory: qemu-user looks every absolute path up under `-L PREFIX` first. The
prefix links the arm64 root's directories and adds a one-core /proc/cpuinfo and /sys/devices/system/cpu
with the board's MIDR and caches; XNNPACK then picks the micro-kernels it would pick on that board.

    python benchmarks/arm/cpus.py make-prefixes WORKDIR     # WORKDIR/rootfs -> WORKDIR/prefix-<cpu>/"""
from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

V80 = "fp asimd evtstrm aes pmull sha1 sha2 crc32 cpuid"
V82 = V80 + " atomics fphp asimdhp asimdrdm lrcpc dcpop asimddp"


@dataclass(frozen=True)
class Cpu:
    name: str        # the label in tables
    qemu: str        # qemu-aarch64 -cpu
    midr: int        # MIDR_EL1: implementer 0x41 (Arm), variant, architecture 0xf, part number, revision
    features: str    # /proc/cpuinfo "Features" (the ISA itself comes from qemu's HWCAPs)
    profile: str     # edgekd device profile: its cross build (flags) runs here
    caches: tuple    # (level, type, KiB, ways) as the board reports them
    board: str

    def field(self, shift: int, bits: int) -> int:
        return (self.midr >> shift) & ((1 << bits) - 1)


L1_48_32 = ((1, "Data", 32, 2), (1, "Instruction", 48, 3))
L1_64_64 = ((1, "Data", 64, 4), (1, "Instruction", 64, 4))
CPUS = {
    "cortex-a76": Cpu("cortex-a76", "cortex-a76", 0x414FD0B1, V82, "rpi5",  # r4p1, BCM2712
                      L1_64_64 + ((2, "Unified", 512, 8), (3, "Unified", 2048, 16)), "Raspberry Pi 5"),
    "cortex-a72": Cpu("cortex-a72", "cortex-a72", 0x410FD083, V80, "rpi4",  # r0p3, BCM2711
                      L1_48_32 + ((2, "Unified", 1024, 16),), "Raspberry Pi 4"),
    "cortex-a57": Cpu("cortex-a57", "cortex-a57", 0x411FD071, V80, "jetson-nano",  # r1p1, Tegra X1
                      L1_48_32 + ((2, "Unified", 2048, 16),), "Jetson Nano"),
    # qemu 7.2 has no Cortex-A78 model: the cortex-a76 model has the same ISA (ARMv8.2-A, dotprod); the
    # prefix names the core an A78 r1p1 (part 0xD41; Orin's A78AE is 0xD42), so XNNPACK tunes for an A78.
    "cortex-a78": Cpu("cortex-a78", "cortex-a76", 0x411FD411, V82, "jetson-orin-nano",
                      L1_64_64 + ((2, "Unified", 256, 8), (3, "Unified", 2048, 16)), "Jetson Orin Nano"),
}
SKIP = {"proc", "sys", "dev", "tmp", "run", "home", "root"}  # never taken from the root: the host's serve


def cpuinfo_text(cpu: Cpu) -> str:
    return (f"processor\t: 0\nBogoMIPS\t: 108.00\nFeatures\t: {cpu.features}\n"
            f"CPU implementer\t: 0x{cpu.field(24, 8):02x}\nCPU architecture: 8\n"
            f"CPU variant\t: 0x{cpu.field(20, 4):x}\nCPU part\t: 0x{cpu.field(4, 12):03x}\n"
            f"CPU revision\t: {cpu.field(0, 4)}\n\n")


def sysfs_files(cpu: Cpu, clock_khz: int) -> dict[str, str]:
    """/sys/devices/system/cpu for one core, path -> content."""
    files = {"possible": "0", "present": "0", "online": "0", "offline": "", "kernel_max": "0",
             "cpu0/online": "1", "cpu0/regs/identification/midr_el1": f"0x{cpu.midr:016x}",
             "cpu0/regs/identification/revidr_el1": "0x0000000000000000",
             "cpu0/cpufreq/cpuinfo_max_freq": str(clock_khz), "cpu0/cpufreq/cpuinfo_min_freq": str(clock_khz),
             "cpu0/cpufreq/scaling_cur_freq": str(clock_khz)}
    for name in ("core_id", "physical_package_id", "cluster_id"):
        files[f"cpu0/topology/{name}"] = "0"
    for name in ("core_siblings_list", "thread_siblings_list", "package_cpus_list", "core_cpus_list",
                 "cluster_cpus_list"):
        files[f"cpu0/topology/{name}"] = "0"
    for name in ("core_siblings", "thread_siblings", "package_cpus", "core_cpus", "cluster_cpus"):
        files[f"cpu0/topology/{name}"] = "1"
    for i, (level, kind, kib, ways) in enumerate(cpu.caches):
        d = f"cpu0/cache/index{i}/"
        files.update({d + "level": str(level), d + "type": kind, d + "size": f"{kib}K",
                      d + "ways_of_associativity": str(ways), d + "coherency_line_size": "64",
                      d + "number_of_sets": str(kib * 1024 // (64 * ways)), d + "shared_cpu_list": "0",
                      d + "shared_cpu_map": "1", d + "id": "0"})
    return files


def make_prefix(rootfs: Path, prefix: Path, cpu: Cpu, clock_khz: int) -> None:
    """Builds `prefix` (replacing it): links to rootfs's top-level entries plus the fake proc and sys."""
    tmp = prefix.with_name(prefix.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for entry in sorted(rootfs.iterdir()):
        if entry.name not in SKIP:
            (tmp / entry.name).symlink_to(entry.resolve() if not entry.is_symlink() else entry.readlink())
    (tmp / "proc").mkdir()
    (tmp / "proc" / "cpuinfo").write_text(cpuinfo_text(cpu))
    sysdir = tmp / "sys" / "devices" / "system" / "cpu"
    for rel, text in sysfs_files(cpu, clock_khz).items():
        (sysdir / rel).parent.mkdir(parents=True, exist_ok=True)
        (sysdir / rel).write_text(text + "\n" if text else "")
    shutil.rmtree(prefix, ignore_errors=True)
    tmp.rename(prefix)


def make_prefixes(work: Path) -> list[Path]:
    from edgekd.devices.profile import load_profile

    rootfs = work / "rootfs"
    if not (rootfs / "usr" / "bin" / "python3.11").exists():
        raise SystemExit(f"{rootfs}: no arm64 root with python3.11 (run benchmarks/arm/setup.sh)")
    out = []
    for cpu in CPUS.values():
        clock = load_profile(cpu.profile).clock_mhz or 1500
        make_prefix(rootfs, work / f"prefix-{cpu.name}", cpu, int(clock) * 1000)
        out.append(work / f"prefix-{cpu.name}")
    return out


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "make-prefixes":
        raise SystemExit(__doc__.strip().splitlines()[-1])
    for p in make_prefixes(Path(sys.argv[2]).resolve()):
        print(f"prefix: {p}")
