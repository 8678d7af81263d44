"""Data sets: digits, the IDX reader (gzipped or not, malformed files), directories, user data, loaders."""
from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from edgekd.distill import data
from edgekd.errors import EdgekdError


def write_idx(path: Path, arr: np.ndarray, *, gz: bool = False, type_code: int = 0x08) -> Path:
    raw = bytes([0, 0, type_code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape) + arr.tobytes()
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


def make_idx_dir(root: Path, n_train: int = 12, n_test: int = 5, hw: int = 6, gz: bool = True) -> Path:
    rng = np.random.default_rng(0)
    root.mkdir(parents=True, exist_ok=True)
    sfx = ".gz" if gz else ""
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        write_idx(root / f"{prefix}-images-idx3-ubyte{sfx}", rng.integers(0, 256, (n, hw, hw), dtype=np.uint8), gz=gz)
        write_idx(root / f"{prefix}-labels-idx1-ubyte{sfx}", (np.arange(n) % 3).astype(np.uint8), gz=gz)
    return root


def test_digits_shapes_range_and_fixed_split(digits):
    x, y = digits.train.tensors
    assert x.dtype == torch.float32 and x.shape[1:] == (1, 8, 8)
    assert 0.0 <= x.min() and x.max() <= 1.0 and x.max() == 1.0  # raw 0..16 divided by 16
    assert len(digits.train) + len(digits.test) == 1797 and len(digits.test) == 450
    assert sorted(y.unique().tolist()) == list(range(10))
    again = data.load_digits()
    assert torch.equal(again.test.tensors[0], digits.test.tensors[0])  # the split never depends on a seed
    assert digits.preprocess.divide_by == 16.0 and digits.preprocess.input_shape == (1, 8, 8)


def test_digits_match_scikit_learn():
    sk = pytest.importorskip("sklearn.datasets").load_digits()
    images, y = data.digits_arrays()
    np.testing.assert_array_equal(images, sk.images)
    np.testing.assert_array_equal(y, sk.target)
    tr, te = data.stratified_split(y, 0.25)
    assert len(np.intersect1d(tr, te)) == 0 and len(tr) + len(te) == len(y)
    assert np.all(np.abs(np.bincount(y[te]) - np.bincount(y) * 0.25) <= 1)  # every class in proportion


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_round_trip(tmp_path, gz):
    arr = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    got = data.read_idx(write_idx(tmp_path / "a-idx3-ubyte", arr, gz=gz))
    np.testing.assert_array_equal(got, arr)


def test_read_idx_big_endian_int32(tmp_path):
    arr = np.array([1, -2, 70000], dtype=">i4")
    np.testing.assert_array_equal(data.read_idx(write_idx(tmp_path / "i", arr, type_code=0x0C)), [1, -2, 70000])


@pytest.mark.parametrize("content, message", [
    (b"", "not an IDX file"),
    (b"\x01\x02\x08\x01", "not an IDX file"),
    (b"\x00\x00\x07\x01\x00\x00\x00\x01x", "unknown IDX element type 0x07"),
    (b"\x00\x00\x08\x03\x00\x00\x00\x02", "header truncated"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x05abc", "payload is 3 bytes, expected 5"),
    (b"\x1f\x8bnot really gzip", "corrupt gzip"),
])
def test_malformed_idx_names_the_file(tmp_path, content, message):
    p = tmp_path / "bad-idx1-ubyte"
    p.write_bytes(content)
    with pytest.raises(EdgekdError, match=message) as e:
        data.read_idx(p)
    assert str(p) in str(e.value)


def test_idx_directory_gz_and_plain(tmp_path):
    for gz in (True, False):
        root = make_idx_dir(tmp_path / f"d{gz}", gz=gz)
        b = data.load(str(root))
        assert b.input_shape == (1, 6, 6) and b.num_classes == 3
        assert len(b.train) == 12 and len(b.test) == 5
        x = b.train.tensors[0]
        assert x.dtype == torch.float32 and 0 <= x.min() and x.max() <= 1.0
        raw = data.read_idx(next(root.glob("train-images*")))
        np.testing.assert_allclose(x[:, 0].numpy(), raw / 255.0, rtol=1e-6)


def test_missing_dataset_and_files(tmp_path):
    with pytest.raises(EdgekdError, match="unknown data set 'nope'"):
        data.load("nope")
    with pytest.raises(EdgekdError, match="data set directory not found"):
        data.load_idx_dir(tmp_path / "absent")
    root = make_idx_dir(tmp_path / "d")
    (root / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(EdgekdError, match="missing IDX file t10k-labels-idx1-ubyte") as e:
        data.load(str(root))
    assert str(root) in str(e.value)


def test_label_count_mismatch(tmp_path):
    root = make_idx_dir(tmp_path / "d", gz=False)
    write_idx(root / "train-labels-idx1-ubyte", np.zeros(11, dtype=np.uint8))
    with pytest.raises(EdgekdError, match="12 images but train-labels-idx1-ubyte has 11 labels"):
        data.load(str(root))


def test_env_override_for_named_dataset(tmp_path, monkeypatch):
    make_idx_dir(tmp_path / "mnist")
    monkeypatch.setenv("EDGEKD_DATA", str(tmp_path))
    assert data.load("mnist").name == "mnist"
    monkeypatch.setenv("EDGEKD_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(EdgekdError, match="nowhere/fashion-mnist"):
        data.load("fashion-mnist")


@pytest.mark.skipif(not Path(data.DEFAULT_DIRS["fashion-mnist"]).is_dir(), reason="dataset-fashion-mnist not installed")
def test_debian_fashion_mnist():
    b = data.load("fashion-mnist")
    assert (len(b.train), len(b.test), b.input_shape, b.num_classes) == (60000, 10000, (1, 28, 28), 10)
    assert b.class_names[9] == "Ankle boot"
    counts = torch.bincount(b.test.tensors[1], minlength=10)
    assert counts.tolist() == [1000] * 10  # Fashion-MNIST's test set is balanced


def test_from_torch_dataset_and_loader():
    x = torch.rand(20, 3, 4, 4)
    y = torch.arange(20) % 4
    ds = TensorDataset(x, y)
    b = data.from_torch(ds, ds)
    assert b.input_shape == (3, 4, 4) and b.num_classes == 4
    b2 = data.from_torch(DataLoader(ds, batch_size=5), DataLoader(ds, batch_size=5), num_classes=7)
    assert b2.train is ds and b2.num_classes == 7
    with pytest.raises(EdgekdError, match="expected CHW"):
        data.from_torch(TensorDataset(torch.rand(4, 8), y[:4]), ds)


class ListDataset(torch.utils.data.Dataset):
    def __init__(self, n):
        self.items = [(torch.full((1, 2, 2), float(i)), i % 2) for i in range(n)]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


def test_loaders_are_seeded_and_cover_everything():
    ds = TensorDataset(torch.arange(50).float().reshape(50, 1, 1, 1), torch.arange(50))
    order = lambda seed, epoch: torch.cat([b[1] for b in data.make_loader(ds, 8, shuffle=True, seed=seed, epoch=epoch)])
    assert torch.equal(order(0, 0), order(0, 0))
    assert not torch.equal(order(0, 0), order(0, 1)) and not torch.equal(order(0, 0), order(1, 0))
    assert sorted(order(3, 2).tolist()) == list(range(50))
    generic = data.make_loader(ListDataset(9), 4, shuffle=False)  # a plain map-style dataset
    assert [len(b[1]) for b in generic] == [4, 4, 1]


def test_subset_is_fixed():
    ds = TensorDataset(torch.arange(100), torch.arange(100))
    a, b = data.subset(ds, 10), data.subset(ds, 10)
    assert torch.equal(a.tensors[0], b.tensors[0]) and len(a) == 10
    assert data.subset(ds, None) is ds and data.subset(ds, 1000) is ds
