"""edgekd deploy: cross-built bundles run under qemu with the device's CPU model and agree with the host;
deploys over a real OpenSSH server on loopback; failures give one clear error and keep the old install."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

import edgekd
from edgekd.deploy.build import build_runner
from edgekd.deploy.bundle import build_bundle, verify_bundle
from edgekd.deploy.emulate import emulate_bench, emulate_run
from edgekd.deploy.pipeline import deploy
from edgekd.devices.profile import load_profile
from edgekd.errors import EdgekdError
from edgekd.testing.models import small_cnn
from edgekd.tflite.writer import write_tflite

have_cross = shutil.which("aarch64-linux-gnu-g++") and shutil.which("qemu-aarch64")
needs_cross = pytest.mark.skipif(not have_cross, reason="needs g++-aarch64-linux-gnu and qemu-user")


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    # One build per profile for the whole module; the cache key covers sources and flags.
    d = tmp_path_factory.mktemp("edgekd-cache")
    old = os.environ.get("EDGEKD_CACHE")
    os.environ["EDGEKD_CACHE"] = str(d)
    yield d
    if old is None:
        os.environ.pop("EDGEKD_CACHE", None)
    else:
        os.environ["EDGEKD_CACHE"] = old


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("model") / "cnn.tflite"
    p.write_bytes(write_tflite(small_cnn(seed=3)))
    return p


def _host_output(model: Path, x: np.ndarray) -> np.ndarray:
    m = edgekd.load(str(model))
    return np.asarray(m(x))


def _input_for(model: Path) -> np.ndarray:
    m = edgekd.load(str(model))
    d = m.get_input_details()[0]
    rng = np.random.default_rng(7)
    if np.dtype(d["dtype"]) == np.int8:
        return rng.integers(-128, 128, size=d["shape"], dtype=np.int8)
    return rng.random(d["shape"], dtype=np.float32)


def test_unknown_device_is_one_clear_error(model_file, tmp_path):
    with pytest.raises(EdgekdError, match="unknown device 'rpi9'"):
        deploy(model_file, "rpi9", out=tmp_path / "b")
    assert not (tmp_path / "b").exists()


def test_missing_model_is_named(tmp_path):
    with pytest.raises(EdgekdError, match="nope.tflite"):
        deploy(tmp_path / "nope.tflite", "x86-64", out=tmp_path / "b")


def test_x86_bundle_manifest_and_corruption(model_file, tmp_path, cache):
    prof = load_profile("x86-64")
    runner = build_runner(prof, log=lambda *_: None)
    b = build_bundle(model_file, prof, runner, tmp_path / "bundle", [])
    assert set(b.manifest["files"]) == {"bin/edgekd-run", "model.tflite", "run.sh"}
    verify_bundle(b.path)
    # sha256sum on the device reads the same list
    r = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=b.path, capture_output=True)
    assert r.returncode == 0, r.stderr
    data = bytearray(b.model.read_bytes())
    data[100] ^= 0xFF
    b.model.write_bytes(bytes(data))
    with pytest.raises(EdgekdError, match="model.tflite does not match its sha256"):
        verify_bundle(b.path)


@needs_cross
@pytest.mark.slow
@pytest.mark.parametrize("device,isa", [("rpi4", "neon"), ("rpi5", "neondot"), ("jetson-nano", "neon")])
def test_arm_bundle_under_qemu_matches_host(device, isa, model_file, tmp_path, cache):
    prof = load_profile(device)
    assert prof.isa == isa
    result = deploy(model_file, device, out=tmp_path / "bundle", emulate=True, runs=3, warmup=1,
                    log=lambda *_: None)
    bench = result["emulated_bench"]
    assert bench["emulated"] is True
    assert bench["path"] == isa, bench
    count = bench["instruction_count"]  # counted under qemu, next to the emulated latency
    assert count["instructions_per_inference"] > 1000, count
    assert count["est_ms"] > 0 and "not time" in count["method"], count
    x = _input_for(model_file)
    np.save(tmp_path / "x.npy", x)
    bundle = verify_bundle(tmp_path / "bundle")
    emulate_run(bundle, prof, tmp_path / "x.npy", tmp_path / "y.npy")
    y_device = np.load(tmp_path / "y.npy")
    np.testing.assert_array_equal(y_device, _host_output(model_file, x))


@needs_cross
@pytest.mark.slow
@pytest.mark.parametrize("device,isa", [("rpi4", "neon"), ("rpi5", "neondot")])
def test_arm_networks_under_qemu_equal_litert(device, isa, tmp_path, cache):
    """Whole MobileNets on the aarch64 paths (cross-built edgekd-run under qemu with the board's CPU) give
    LiteRT's builtin-kernel outputs bit for bit: inverted residuals, depthwise, ReLU6, residual ADD, MEAN,
    FC (MobileNetV2) and hard-swish, squeeze-excite with a broadcast MUL (MobileNetV3-Small)."""
    pytest.importorskip("ai_edge_litert")
    from edgekd.testing import litert, models

    prof = load_profile(device)
    nets = {"mbv2": models.mobilenet_v2(alpha=0.35, input_size=48, num_classes=10, seed=5),
            "mbv3": models.mobilenet_v3_small(alpha=0.35, input_size=48, num_classes=10, seed=6)}
    for name, graph in nets.items():
        model = tmp_path / f"{name}.tflite"
        blob = write_tflite(graph)
        model.write_bytes(blob)
        deploy(model, device, out=tmp_path / f"bundle-{name}", log=lambda *_: None)
        bundle = verify_bundle(tmp_path / f"bundle-{name}")
        x = litert.random_inputs(graph, seed=11)[0]
        np.save(tmp_path / "x.npy", x)
        emulate_run(bundle, prof, tmp_path / "x.npy", tmp_path / "y.npy")
        want = litert.run(blob, [x])[0]
        np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), want, err_msg=f"{name} on {isa}")


# --- a real sshd on 127.0.0.1 ------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    sshd_bin = shutil.which("sshd") or "/usr/sbin/sshd"
    if not Path(sshd_bin).exists() or not shutil.which("ssh"):
        pytest.skip("needs openssh-server and openssh-client")
    if os.geteuid() != 0:
        pytest.skip("sshd privilege separation needs root here")
    d = tmp_path_factory.mktemp("sshd")
    for key in ("host_key", "client_key", "other_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / key)], check=True)
    shutil.copy(d / "client_key.pub", d / "authorized_keys")
    port = _free_port()
    (d / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {d / 'host_key'}\nPidFile {d / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {d / 'authorized_keys'}\nStrictModes no\nUsePAM no\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nPermitRootLogin prohibit-password\n")
    Path("/run/sshd").mkdir(exist_ok=True)
    proc = subprocess.Popen([sshd_bin, "-D", "-e", "-f", str(d / "sshd_config")],
                            stdout=subprocess.DEVNULL, stderr=open(d / "sshd.log", "w"))
    for _ in range(50):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    else:
        proc.kill()
        pytest.skip("sshd did not start: " + (d / "sshd.log").read_text()[-300:])
    opts = ["StrictHostKeyChecking=no", f"UserKnownHostsFile={d / 'known_hosts'}", "LogLevel=ERROR"]
    yield {"port": port, "dir": d, "key": d / "client_key", "other_key": d / "other_key", "opts": opts}
    proc.terminate()
    proc.wait(timeout=10)


def _remote_deploy(model, sshd, tmp_path, **kw):
    args = dict(out=tmp_path / "bundle", host=f"root@127.0.0.1:{sshd['port']}", identity=sshd["key"],
                ssh_options=sshd["opts"], remote_dir=str(sshd["dir"] / "installs"), runs=5, warmup=1,
                log=lambda *_: None)
    args.update(kw)
    return deploy(model, "x86-64", **args)


def test_deploy_over_ssh_and_bench(model_file, sshd, tmp_path, cache):
    result = _remote_deploy(model_file, sshd, tmp_path)
    installed = Path(result["installed"])
    assert installed.is_symlink() and (installed / "manifest.json").is_file()
    bench = result["remote_bench"]
    assert bench["path"] == edgekd.cpu_info()["path"]
    assert bench["runs"] == 5 or bench.get("latency", {}).get("runs") == 5 or "p50_ms" in json.dumps(bench)


def test_ssh_failures_keep_previous_install(model_file, sshd, tmp_path, cache, monkeypatch):
    result = _remote_deploy(model_file, sshd, tmp_path)
    installed = Path(result["installed"])
    before = os.readlink(installed)

    with pytest.raises(EdgekdError, match="refused the SSH key"):
        _remote_deploy(model_file, sshd, tmp_path, identity=sshd["other_key"])
    with pytest.raises(EdgekdError, match="cannot deploy to root@127.0.0.1"):
        _remote_deploy(model_file, sshd, tmp_path, host=f"root@127.0.0.1:{_free_port()}")
    with pytest.raises(EdgekdError, match="cannot deploy to root@no-such-host.invalid"):
        _remote_deploy(model_file, sshd, tmp_path, host="root@no-such-host.invalid")

    # A corrupted upload: flip a byte of the model in the stream that leaves this machine.
    from edgekd.deploy import remote

    real_tar = remote._tar_bundle

    def corrupt(bundle):
        import gzip
        import io
        import tarfile

        raw = io.BytesIO(gzip.decompress(real_tar(bundle)))
        out = io.BytesIO()
        with tarfile.open(fileobj=raw) as src, tarfile.open(fileobj=out, mode="w") as dst:
            for m in src.getmembers():
                f = src.extractfile(m) if m.isfile() else None
                data = f.read() if f else None
                if m.name == "model.tflite":
                    data = data[:-1] + bytes([data[-1] ^ 0x5A])
                dst.addfile(m, io.BytesIO(data) if data is not None else None)
        return gzip.compress(out.getvalue())

    monkeypatch.setattr(remote, "_tar_bundle", corrupt)
    with pytest.raises(EdgekdError, match="corrupted upload"):
        _remote_deploy(model_file, sshd, tmp_path)
    assert os.readlink(installed) == before
    assert not list((sshd["dir"] / "installs").glob("incoming.*"))  # the temporary upload is gone


@pytest.mark.slow
def test_cli_emulate_shows_build_steps_and_latency(model_file, tmp_path):
    """`edgekd deploy --emulate` piped to a log: the build's steps appear as plain lines while it runs
    (no escape codes), and the table has the latency percentiles. Its own cache: the build really runs."""
    import sys

    env = dict(os.environ, EDGEKD_CACHE=str(tmp_path / "cache"))
    r = subprocess.run([str(Path(sys.executable).parent / "edgekd"), "deploy", str(model_file), "--device", "x86-64",
                        "--emulate", "--runs", "5", "--warmup", "1", "-o", str(tmp_path / "bundle")],
                       capture_output=True, text=True, cwd=tmp_path, env=env, timeout=1800)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "\x1b[" not in r.stdout
    steps = [ln for ln in r.stdout.splitlines() if ln.strip().startswith("[") and "%]" in ln]
    assert len(steps) >= 3 and any("Built target edgekd-run" in ln for ln in steps), r.stdout[:2000]
    assert "latency p50 (" in r.stdout and "latency p99 (" in r.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle", "cache"]


@needs_cross
@pytest.mark.slow
def test_cli_bench_emulate_reports_the_count(model_file, tmp_path, cache):
    """`edgekd bench --device rpi4 --emulate`: the emulated latency and, labelled apart, the instructions per
    inference counted under qemu and the estimate at the profile's clock (the module's cached rpi4 build)."""
    import sys

    out = tmp_path / "r.json"
    r = subprocess.run([str(Path(sys.executable).parent / "edgekd"), "bench", str(model_file), "--device", "rpi4",
                        "--emulate", "--runs", "3", "--warmup", "1", "--json", str(out)],
                       capture_output=True, text=True, cwd=tmp_path, timeout=1800,
                       env={**os.environ, "COLUMNS": "200"})  # rich wraps tables at the terminal's width
    assert r.returncode == 0, r.stderr[-2000:]
    assert "latency is EMULATED" in r.stdout and "instructions / inference (qemu count" in r.stdout
    assert "est. time / inference (" in r.stdout
    count = json.loads(out.read_text())["emulated_bench"]["instruction_count"]
    assert count["instructions_per_inference"] > 1000 and count["clock_mhz"] == 1800, count
