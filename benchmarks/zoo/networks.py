"""The benchmark networks by name: edgekd's own MobileNet-style test graphs (edgekd.testing.models), the
zoo of TensorFlow-converter models that benchmarks/zoo/make_zoo.py builds, and the second zoo (ZOO_OPS,
tests/data/zoo_ops/) of networks that use the ops beyond the CNN subset, made by make_zoo_ops.py and, for
the PyTorch exports, by tests/data/zoo_ops/make_torch_models.py.

Small zoo models are committed under tests/data/zoo/; the big ones live in $EDGEKD_ZOO_CACHE (default
~/.cache/edgekd/zoo) and are left out, with a note, until make_zoo.py has built them. Needs no TensorFlow.

A selection (``--networks`` of compare.py, paired.py and per_op.py) is a comma-separated list of display
names, file stems (``resnet8_cifar``), paths of .tflite files, or groups: ``builtin``, ``zoo``, ``ops``
(ZOO_OPS), ``float``, ``all`` (builtin and zoo: the networks every runtime runs)."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[2]
COMMITTED_DIR = REPO / "tests" / "data" / "zoo"
OPS_DIR = REPO / "tests" / "data" / "zoo_ops"
CACHE_DIR = Path(os.environ.get("EDGEKD_ZOO_CACHE", Path.home() / ".cache" / "edgekd" / "zoo"))


@dataclass(frozen=True)
class ZooEntry:
    stem: str
    committed: bool
    folder: Path = COMMITTED_DIR  # where a committed model lies

    @property
    def path(self) -> Path:
        return (self.folder if self.committed else CACHE_DIR) / f"{self.stem}.tflite"


ZOO: dict[str, ZooEntry] = {
    "DS-CNN KWS 49x10x1": ZooEntry("ds_cnn_kws", True),
    "DS-CNN 10x8 dw, multiplier 32, 49x40x1": ZooEntry("ds_cnn_multiplier", True),
    "MobileNetV1 0.25 96x96": ZooEntry("mobilenet_v1_025_96", True),
    "ResNet-8 32x32x3": ZooEntry("resnet8_cifar", True),
    "FC autoencoder 640-128-8-640": ZooEntry("fc_autoencoder", True),
    "tiny FC 3x16": ZooEntry("tiny_fc", True),
    "MobileNetV1 1.0 224x224": ZooEntry("mobilenet_v1_100_224", False),
    "ResNet-18 224x224": ZooEntry("resnet18_224", False),
    "EfficientNet-Lite0 224x224": ZooEntry("efficientnet_lite0", False),
}
# float32 networks, built into the cache by tests/data/float/make_float_models.py --bench (group "float").
FLOAT_ZOO: dict[str, ZooEntry] = {
    "MobileNetV2 0.35 96x96 float32": ZooEntry("mobilenet_v2_035_96_f32", False),
    "MobileNetV2 1.0 224x224 float32": ZooEntry("mobilenet_v2_100_224_f32", False),
}
# The second zoo: every file committed under tests/data/zoo_ops/. "tf:" entries come from make_zoo_ops.py
# (int8 unless named float), "torch:" ones from litert-torch (make_torch_models.py).
ZOO_OPS: dict[str, ZooEntry] = {
    "UNet segmenter 64x64x3 (transpose conv, bilinear)": ZooEntry("unet_seg", True, OPS_DIR),
    "SSD-lite detector 96x96x3 (raw boxes, scores)": ZooEntry("ssdlite_det", True, OPS_DIR),
    "transformer encoder 16x32, 2 layers": ZooEntry("transformer_enc", True, OPS_DIR),
    "LSTM keyword spotter 49x10": ZooEntry("lstm_kws", True, OPS_DIR),
    "GRU audio classifier 32x16": ZooEntry("gru_audio", True, OPS_DIR),
    "MobileNetV2 0.35 64x64 float32": ZooEntry("mobilenet_v2_float", True, OPS_DIR),
    "MobileNetV2 0.35 64x64 float16 weights": ZooEntry("mobilenet_v2_fp16", True, OPS_DIR),
    "DeepLab ASPP 48x48x3 (dilated convs)": ZooEntry("deeplab_aspp", True, OPS_DIR),
    "PyTorch MobileNetV2-style 64x64 (litert-torch, NCHW)": ZooEntry("torch_mobilenet_v2", True, OPS_DIR),
    "PyTorch MobileNetV2-style 64x64 int8 (litert-torch PT2E, NCHW)": ZooEntry("torch_mobilenet_v2_int8", True,
                                                                            OPS_DIR),
    "PyTorch transformer encoder 16x32 (litert-torch)": ZooEntry("torch_transformer", True, OPS_DIR),
    "PyTorch transformer encoder 16x32 int8 (litert-torch PT2E)": ZooEntry("torch_transformer_int8", True, OPS_DIR),
}

BUILTIN: dict[str, Callable] = {
    "small CNN 28x28x1": lambda m: m.small_cnn(seed=0),
    "MobileNetV2 0.35 96x96": lambda m: m.mobilenet_v2(0.35, 96, seed=0),
    "MobileNetV3-Small 0.75 96x96": lambda m: m.mobilenet_v3_small(0.75, 96, seed=0),
    "MobileNetV2 1.0 224x224": lambda m: m.mobilenet_v2(1.0, 224, seed=0),
}
FILES = {**ZOO, **FLOAT_ZOO, **ZOO_OPS}
STEMS = {e.stem: name for name, e in FILES.items()}


@dataclass(frozen=True)
class Network:
    name: str
    source: str  # "builtin" or the .tflite path

    def tflite(self) -> bytes:
        if self.source == "builtin":
            from edgekd.tflite.writer import write_tflite
            return write_tflite(self.graph())
        return Path(self.source).read_bytes()

    def graph(self):
        """The network as an edgekd ir.Graph (zoo files through edgekd's reader)."""
        if self.source == "builtin":
            from edgekd.testing import models
            return BUILTIN[self.name](models)
        from edgekd.tflite.reader import read_tflite
        return read_tflite(Path(self.source).read_bytes())


def all_names() -> list[str]:
    return list(BUILTIN) + list(ZOO)


def select(spec: str = "all", warn: bool = True) -> list[Network]:
    """The networks named by ``spec``, in a fixed order; zoo files not built yet are left out with a note.
    Raises ValueError naming any unknown name."""
    wanted: list[str] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        if part == "all":
            wanted += all_names()
        elif part == "builtin":
            wanted += list(BUILTIN)
        elif part == "zoo":
            wanted += list(ZOO)
        elif part == "float":
            wanted += list(FLOAT_ZOO)
        elif part == "ops":
            wanted += list(ZOO_OPS)
        elif part in BUILTIN or part in FILES:
            wanted.append(part)
        elif part in STEMS:
            wanted.append(STEMS[part])
        elif part.endswith(".tflite") and Path(part).is_file():
            wanted.append(part)  # any model file, named by its path
        else:
            raise ValueError(f"unknown network {part!r}; known: builtin, zoo, ops, float, all, "
                             + ", ".join(all_names() + list(FLOAT_ZOO) + list(ZOO_OPS) + list(STEMS)))
    out: list[Network] = []
    for name in dict.fromkeys(wanted):
        if name in BUILTIN:
            out.append(Network(name, "builtin"))
        elif name.endswith(".tflite"):
            out.append(Network(name, name))
        elif FILES[name].path.exists():
            out.append(Network(name, str(FILES[name].path)))
        elif warn:
            maker = ("tests/data/float/make_float_models.py --bench" if name in FLOAT_ZOO
                     else "benchmarks/zoo/make_zoo.py")
            print(f"note: {name} left out: {FILES[name].path} not built (run {maker})",
                  file=sys.stderr)
    return out
