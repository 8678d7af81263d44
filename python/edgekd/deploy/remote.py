"""Deploying a bundle to a device over OpenSSH: upload to a temporary directory, verify every checksum on
the device, install by atomic rename (a symlink swap), run the benchmark there and bring its JSON back.
Any failure leaves the previous install untouched."""
from __future__ import annotations

import io
import json
import shlex
import subprocess
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import EdgekdError
from .bundle import SUMS, Bundle


@dataclass
class SshTarget:
    host: str                      # user@host
    port: int | None = None
    identity: Path | None = None
    options: list[str] = field(default_factory=list)  # extra -o options
    timeout: float = 600
    remote_dir: str = "$HOME/.edgekd"  # where bundles are installed on the device

    @property
    def name(self) -> str:
        """user@host[:port], as the user gave it: what every message names."""
        return f"{self.host}:{self.port}" if self.port else self.host

    def base(self) -> list[str]:
        cmd = ["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10"]
        if self.port:
            cmd += ["-p", str(self.port)]
        if self.identity:
            cmd += ["-i", str(self.identity), "-o", "IdentitiesOnly=yes"]
        for o in self.options:
            cmd += ["-o", o]
        return cmd

    def run(self, script: str, stdin: bytes | None = None, what: str = "command") -> str:
        try:
            r = subprocess.run([*self.base(), self.host, script], input=stdin, capture_output=True,
                               timeout=self.timeout)
        except subprocess.TimeoutExpired:
            raise EdgekdError(f"{self.name}: {what} timed out after {self.timeout:.0f} s") from None
        err = r.stderr.decode(errors="replace").strip()
        if r.returncode == 255:  # ssh's own failure: connection, host key, authentication
            raise EdgekdError(_explain_ssh_failure(self.name, err))
        if r.returncode != 0:
            last = err.splitlines()[-1] if err else f"exit status {r.returncode}"
            raise EdgekdError(f"{self.name}: {what} failed: {last}")
        return r.stdout.decode(errors="replace")


def _explain_ssh_failure(host: str, err: str) -> str:
    low = err.lower()
    if "permission denied" in low:
        why = "the device refused the SSH key (Permission denied); check the key and authorized_keys"
    elif "could not resolve" in low or "name or service not known" in low:
        why = "the host name does not resolve"
    elif "connection refused" in low:
        why = "connection refused (is sshd running on that port?)"
    elif "timed out" in low or "no route" in low:
        why = "the host is unreachable"
    elif "host key verification failed" in low:
        why = "host key verification failed"
    else:
        why = err.splitlines()[-1] if err else "ssh failed"
    return f"cannot deploy to {host}: {why}"


def _tar_bundle(bundle: Bundle) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for p in sorted(bundle.path.rglob("*")):
            tar.add(p, arcname=str(p.relative_to(bundle.path)), recursive=False)
    return buf.getvalue()


def install_remote(bundle: Bundle, target: SshTarget, name: str) -> str:
    """Uploads and installs `bundle` as ~/.edgekd/<name>; returns the installed path on the device."""
    digest = bundle.manifest["files"]["model.tflite"][:12]
    q = shlex.quote
    base = target.remote_dir
    tmp = target.run(f"mkdir -p {base}/bundles && mktemp -d {base}/incoming.XXXXXX",
                     what="creating a temporary directory").strip()
    if not tmp:
        raise EdgekdError(f"{target.name}: could not create a temporary directory")
    try:
        target.run(f"tar xzf - -C {q(tmp)}", stdin=_tar_bundle(bundle), what="upload")
        try:
            target.run(f"cd {q(tmp)} && sha256sum -c --quiet {SUMS}", what="checksum verification")
        except EdgekdError as e:
            raise EdgekdError(f"{target.name}: corrupted upload, the bundle's checksums do not verify on the "
                              f"device ({e}); the previous install is untouched") from None
        final = f"{base}/bundles/{name}-{digest}"
        # The new version goes into its own directory, then a symlink is swapped in with one rename.
        target.run(f"rm -rf {final} && mv {q(tmp)} {final} && ln -sfn {final} {base}/{name}.new && "
                   f"mv -T {base}/{name}.new {base}/{name}", what="install")
    except BaseException:
        try:
            target.run(f"rm -rf {q(tmp)}", what="cleanup")
        except EdgekdError:
            pass
        raise
    return f"{base}/{name}"


def bench_on_device(target: SshTarget, name: str, runs: int = 100, warmup: int = 10, threads: int = 1) -> dict:
    out = target.run(f"{target.remote_dir}/{name}/run.sh --bench --warmup {warmup} --runs {runs} "
                     f"--threads {threads} --json", what="benchmark")
    try:
        return json.loads(out)
    except ValueError:
        raise EdgekdError(f"{target.name}: the benchmark printed no JSON: {out[:200]!r}") from None


def parse_host(spec: str) -> SshTarget:
    """user@host[:port]"""
    host, port = spec, None
    if spec.count(":") == 1 and spec.rsplit(":", 1)[1].isdigit():
        host, p = spec.rsplit(":", 1)
        port = int(p)
    if not host or host.startswith("-"):
        raise EdgekdError(f"bad --host '{spec}' (expected user@host[:port])")
    return SshTarget(host, port)

