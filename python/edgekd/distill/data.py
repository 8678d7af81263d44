"""Data sets for distillation: scikit-learn's digits, IDX files (MNIST / Fashion-MNIST layout), user data.

Preprocessing (shared with quantization and the demo — keep them in step)
-------------------------------------------------------------------------
Every built-in data set yields ``(x, y)`` with

* ``x``: float32, NCHW, shape ``(N, 1, H, W)``, pixel value divided by the format's maximum, so in [0, 1]:
  digits are 8x8 with raw values 0..16 (``x = raw / 16``); IDX images are uint8 (``x = raw / 255``).
  No mean/std normalization: a [0, 1] input maps exactly onto int8 with ``scale = 1/255, zero_point = -128``
  (uint8 pixel ``p`` becomes ``q = p - 128``), which is what the quantizer uses for IDX inputs.
* ``y``: int64 class index in ``[0, num_classes)``.

:func:`preprocess` applies this to raw pixels and :class:`Preprocess` (stored in every checkpoint under
``"preprocess"``) records it, so a later stage never has to guess.

Sources
-------
* ``digits``: scikit-learn's digits (1797 images, embedded in scikit-learn, no download), split 75/25
  stratified with a fixed seed (0) so every run and every seed sees the same split (1347 / 450).
* ``fashion-mnist`` / ``mnist``: a directory of IDX files ``train-images-idx3-ubyte``,
  ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each optionally
  ``.gz`` (gzip is detected from the bytes, not the name). Defaults: /usr/share/datasets/fashion-mnist
  (Debian's dataset-fashion-mnist) and /usr/share/datasets/mnist; ``$EDGEKD_DATA/<name>`` overrides.
* a path: a directory in that IDX layout.
* Python: :func:`from_torch` wraps any torch ``Dataset`` pair (or ``DataLoader`` pair).
"""
from __future__ import annotations

import gzip
import importlib.util
import os
import struct
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import torch
from torch.utils.data import (BatchSampler, DataLoader, Dataset, DistributedSampler, RandomSampler,
                              SequentialSampler, TensorDataset)

from ..errors import EdgekdError

DEFAULT_DIRS = {
    "fashion-mnist": "/usr/share/datasets/fashion-mnist",
    "mnist": "/usr/share/datasets/mnist",
}
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                   "Bag", "Ankle boot"]

# IDX type codes (the third byte of the magic number) -> numpy dtype (big-endian on disk).
_IDX_DTYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
               0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


@dataclass(frozen=True)
class Preprocess:
    """How raw pixels become model inputs: ``x = raw / divide_by`` in NCHW float32."""

    input_shape: tuple[int, int, int]
    divide_by: float
    layout: str = "NCHW"
    value_range: tuple[float, float] = (0.0, 1.0)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["input_shape"] = list(self.input_shape)
        d["value_range"] = list(self.value_range)
        return d

    @staticmethod
    def from_dict(d: dict[str, Any]) -> "Preprocess":
        return Preprocess(tuple(d["input_shape"]), float(d["divide_by"]), d.get("layout", "NCHW"),
                          tuple(d.get("value_range", (0.0, 1.0))))  # type: ignore[arg-type]


def preprocess(raw: np.ndarray, divide_by: float) -> np.ndarray:
    """Raw images ``(N, H, W)`` or ``(N, 1, H, W)`` -> float32 ``(N, 1, H, W)`` in [0, 1]."""
    x = np.asarray(raw, dtype=np.float32) / np.float32(divide_by)
    if x.ndim == 3:
        x = x[:, None, :, :]
    return np.ascontiguousarray(x)


@dataclass
class DataBundle:
    """A train/test pair plus what a model needs to know about it."""

    name: str
    train: Dataset
    test: Dataset
    input_shape: tuple[int, int, int]
    num_classes: int
    preprocess: Preprocess | None = None
    class_names: list[str] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "train_size": len(self.train), "test_size": len(self.test),  # type: ignore[arg-type]
                "input_shape": list(self.input_shape), "num_classes": self.num_classes,
                "preprocess": self.preprocess.to_dict() if self.preprocess else None}


def _tensor_dataset(x: np.ndarray, y: np.ndarray) -> TensorDataset:
    return TensorDataset(torch.from_numpy(x), torch.from_numpy(y.astype(np.int64)))


def digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits as raw arrays: images (1797, 8, 8) float32 in 0..16, labels int64.

    Read straight from the CSV that scikit-learn ships, without importing sklearn (whose import pulls in
    SciPy and costs seconds the demo cannot spare); falls back to ``sklearn.datasets.load_digits``.
    """
    spec = importlib.util.find_spec("sklearn")
    for root in (spec.submodule_search_locations or []) if spec else []:
        csv = Path(root) / "datasets" / "data" / "digits.csv.gz"
        if csv.is_file():
            table = np.loadtxt(csv, delimiter=",", dtype=np.float32)
            return table[:, :64].reshape(-1, 8, 8), table[:, 64].astype(np.int64)
    try:
        from sklearn.datasets import load_digits as sk_load_digits
    except ImportError:
        raise EdgekdError("the digits data set needs scikit-learn (pip install 'edgekd[train]')") from None
    d = sk_load_digits()
    return d.images.astype(np.float32), d.target.astype(np.int64)


def stratified_split(y: np.ndarray, test_fraction: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Train and test indices with each class split in the same proportion (numpy's PCG64: stable)."""
    rng = np.random.default_rng(seed)
    test: list[np.ndarray] = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        rng.shuffle(idx)
        test.append(idx[: int(round(len(idx) * test_fraction))])
    test_idx = np.sort(np.concatenate(test))
    return np.setdiff1d(np.arange(len(y)), test_idx), test_idx


def load_digits() -> DataBundle:
    images, y = digits_arrays()
    x = preprocess(images, 16.0)
    tr, te = stratified_split(y, 0.25, seed=0)
    return DataBundle("digits", _tensor_dataset(x[tr], y[tr]), _tensor_dataset(x[te], y[te]), (1, 8, 8), 10,
                      Preprocess((1, 8, 8), 16.0), [str(i) for i in range(10)])


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (gzipped or not). Raises EdgekdError naming the file if it is malformed."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise EdgekdError(f"{path}: no such IDX file") from None
    except OSError as e:
        raise EdgekdError(f"{path}: cannot read: {e.strerror}") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise EdgekdError(f"{path}: corrupt gzip stream ({e})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise EdgekdError(f"{path}: not an IDX file (expected magic 00 00 <type> <ndim>, "
                          f"got {raw[:4].hex(' ') or 'an empty file'})")
    dtype = _IDX_DTYPES.get(raw[2])
    if dtype is None:
        raise EdgekdError(f"{path}: unknown IDX element type 0x{raw[2]:02x} "
                          f"(expected one of {', '.join(f'0x{k:02x}' for k in _IDX_DTYPES)})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise EdgekdError(f"{path}: IDX header truncated (ndim={ndim}, {len(raw)} bytes)")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise EdgekdError(f"{path}: IDX payload is {len(raw) - header} bytes, expected {expected} "
                          f"for shape {tuple(dims)} of {dtype}")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims).astype(dtype.newbyteorder("="))


def _find_idx(directory: Path, stem: str) -> Path:
    # MNIST mirrors spell the names with '-' or '.' before idx; accept both, gzipped or not.
    alternatives = [stem, stem.replace("-idx", ".idx")]
    for s in alternatives:
        for candidate in (directory / s, directory / f"{s}.gz"):
            if candidate.is_file():
                return candidate
    raise EdgekdError(f"{directory}: missing IDX file {stem}[.gz] (expected train-images-idx3-ubyte, "
                      "train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, "
                      "optionally .gz)")


def _load_split(directory: Path, prefix: str) -> tuple[np.ndarray, np.ndarray]:
    images_path = _find_idx(directory, f"{prefix}-images-idx3-ubyte")
    labels_path = _find_idx(directory, f"{prefix}-labels-idx1-ubyte")
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise EdgekdError(f"{images_path}: expected uint8 images of shape (N, H, W), "
                          f"got {images.dtype} {images.shape}")
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise EdgekdError(f"{labels_path}: expected uint8 labels of shape (N,), got {labels.dtype} {labels.shape}")
    if len(images) != len(labels):
        raise EdgekdError(f"{images_path}: {len(images)} images but {labels_path.name} has {len(labels)} labels")
    return images, labels


def load_idx_dir(directory: str | os.PathLike, name: str | None = None) -> DataBundle:
    """Load an MNIST-layout directory of IDX files (train + t10k)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise EdgekdError(f"{directory}: data set directory not found (expected a directory with "
                          "train-images-idx3-ubyte[.gz] and the three other MNIST-layout IDX files)")
    xtr, ytr = _load_split(directory, "train")
    xte, yte = _load_split(directory, "t10k")
    if xtr.shape[1:] != xte.shape[1:]:
        raise EdgekdError(f"{directory}: train images are {xtr.shape[1:]} but test images are {xte.shape[1:]}")
    num_classes = int(max(ytr.max(), yte.max())) + 1
    h, w = xtr.shape[1:]
    name = name or directory.name
    classes = FASHION_CLASSES if name == "fashion-mnist" and num_classes == 10 else \
        [str(i) for i in range(num_classes)]
    return DataBundle(name, _tensor_dataset(preprocess(xtr, 255.0), ytr),
                      _tensor_dataset(preprocess(xte, 255.0), yte), (1, h, w), num_classes,
                      Preprocess((1, h, w), 255.0), classes)


def default_dir(name: str) -> Path:
    env = os.environ.get("EDGEKD_DATA")
    if env:
        return Path(env) / name
    return Path(DEFAULT_DIRS[name])


def load(spec: str | os.PathLike) -> DataBundle:
    """``digits``, ``fashion-mnist``, ``mnist`` or a directory path of IDX files."""
    s = str(spec)
    if s == "digits":
        return load_digits()
    if s in DEFAULT_DIRS:
        return load_idx_dir(default_dir(s), name=s)
    p = Path(s)
    if p.exists():
        return load_idx_dir(p)
    raise EdgekdError(f"unknown data set {s!r}: expected digits, fashion-mnist, mnist or a directory of "
                      "MNIST-layout IDX files")


def _first_sample(ds: Dataset | DataLoader) -> tuple[torch.Tensor, torch.Tensor]:
    if isinstance(ds, DataLoader):
        x, y = next(iter(ds))[:2]
        return x[0], y[0]
    x, y = ds[0][:2]  # type: ignore[index]
    return torch.as_tensor(x), torch.as_tensor(y)


def from_torch(train: Dataset | DataLoader, test: Dataset | DataLoader, *, name: str = "custom",
               num_classes: int | None = None, input_shape: Iterable[int] | None = None) -> DataBundle:
    """Wrap user data. Items must be ``(x, y)`` with ``x`` a CHW float tensor and ``y`` a class index.

    A DataLoader is unwrapped to its dataset (the trainer builds its own loaders with its own seeds);
    ``num_classes`` defaults to 1 + the largest label seen in a pass over the training labels.
    """
    train_ds = train.dataset if isinstance(train, DataLoader) else train
    test_ds = test.dataset if isinstance(test, DataLoader) else test
    x0, _ = _first_sample(train_ds)
    shape = tuple(int(d) for d in (input_shape or x0.shape))
    if len(shape) != 3:
        raise EdgekdError(f"data set {name!r}: expected CHW samples, got a sample of shape {tuple(x0.shape)}")
    if num_classes is None:
        num_classes = 1 + max(int(train_ds[i][1]) for i in range(len(train_ds)))  # type: ignore[arg-type,index]
    return DataBundle(name, train_ds, test_ds, shape, int(num_classes))  # type: ignore[arg-type]


def make_loader(ds: Dataset, batch_size: int, *, shuffle: bool, seed: int = 0,
                distributed: bool = False, epoch: int = 0) -> DataLoader:
    """A loader with a seeded order (the same seed gives the same batches).

    In-memory TensorDatasets are indexed a whole batch at a time (one fancy-index per batch instead of
    per-sample __getitem__ plus collate), which is ~50x faster for MNIST-sized data. Under DDP each rank
    reads its own shard through a DistributedSampler; call ``loader.sampler.set_epoch`` (via
    :func:`set_epoch`) so that shards reshuffle every epoch.
    """
    sampler: Any
    if distributed:
        sampler = DistributedSampler(ds, shuffle=shuffle, seed=seed, drop_last=False)
        sampler.set_epoch(epoch)
    elif shuffle:
        g = torch.Generator()
        g.manual_seed(seed * 1_000_003 + epoch)
        sampler = RandomSampler(ds, generator=g)
    else:
        sampler = SequentialSampler(ds)
    if isinstance(ds, TensorDataset):
        return DataLoader(ds, sampler=BatchSampler(sampler, batch_size, drop_last=False), batch_size=None)
    return DataLoader(ds, sampler=sampler, batch_size=batch_size)


def with_extra(ds: TensorDataset, extra: torch.Tensor) -> TensorDataset:
    """The same samples with one more per-sample tensor appended (e.g. cached teacher logits)."""
    return TensorDataset(*ds.tensors, extra)


def subset(ds: Dataset, n: int | None, seed: int = 0) -> Dataset:
    """The first ``n`` samples of a fixed random permutation (seed 0 by default), or ``ds`` when n is None."""
    if n is None or n >= len(ds):  # type: ignore[arg-type]
        return ds
    g = torch.Generator().manual_seed(seed)
    idx = torch.randperm(len(ds), generator=g)[:n]  # type: ignore[arg-type]
    if isinstance(ds, TensorDataset):
        return TensorDataset(*(t[idx] for t in ds.tensors))
    return torch.utils.data.Subset(ds, idx.tolist())
