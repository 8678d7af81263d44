"""The demo's distillation experiment: splits, the semi-supervised objective, paired statistics, tuning that
never reads the test split, and the int8 file anatomy."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import TensorDataset

from edgekd.distill import trainer, zoo
from edgekd.distill.demo_semi import (UNLABELLED, SeedResult, SemiConfig, SemiDistillObjective, aggregate,
                                      epochs_for, split_digits, spread, tune)
from edgekd.distill.objectives import Views
from edgekd.errors import EdgekdError

TINY = SemiConfig(labels_per_class=3, steps=4, teacher_steps=4, batch_size=64, teacher="tiny_mlp",
                  student="tiny_mlp")


def test_split_is_disjoint_stratified_and_hides_unlabelled_labels(digits):
    a, b = split_digits(digits, 10, seed=0), split_digits(digits, 10, seed=1)
    n = len(digits.train)
    for s in (a, b):
        parts = [set(s.indices[k].tolist()) for k in ("labelled", "unlabelled", "val")]
        assert sum(map(len, parts)) == n and len(set.union(*parts)) == n  # a partition of the training set
        assert np.bincount(s.labelled.tensors[1].numpy(), minlength=10).tolist() == [10] * 10
        assert bool((s.unlabelled.tensors[1] == UNLABELLED).all())
        ytrain = digits.train.tensors[1].numpy()
        assert np.array_equal(s.val.tensors[1].numpy(), ytrain[s.indices["val"]])
        assert 0.14 < len(s.val) / n < 0.16
    assert np.array_equal(a.indices["val"], b.indices["val"])              # validation fixed across seeds
    assert not np.array_equal(a.indices["labelled"], b.indices["labelled"])  # labelled subset drawn per seed
    with pytest.raises(EdgekdError, match="labelled"):
        split_digits(digits, 200, seed=0)


def _views(labels):
    g = torch.Generator().manual_seed(0)
    s, t = torch.randn(len(labels), 10, generator=g), torch.randn(len(labels), 10, generator=g)
    return s, t, Views(None, None, torch.tensor(labels), t)


class _Fixed(torch.nn.Module):
    def __init__(self, logits):
        super().__init__()
        self.logits = logits

    def forward(self, x):
        return self.logits


def _soft(s, t, T):
    return T * T * (F.softmax(t / T, -1) * (F.log_softmax(t / T, -1) - F.log_softmax(s / T, -1))).sum(-1).mean()


def test_semi_objective_is_hard_loss_on_labelled_plus_soft_loss_on_all():
    s, t, v = _views([3, -1, 7, -1, -1, 0])
    T, alpha = 2.5, 0.3
    loss, logits = SemiDistillObjective(T, alpha)(_Fixed(s), v)
    lab = torch.tensor([0, 2, 5])
    want = alpha * F.cross_entropy(s[lab], torch.tensor([3, 7, 0])) + (1 - alpha) * _soft(s, t, T)
    torch.testing.assert_close(loss, want)
    # no labelled example in the batch: the soft term alone
    s2, t2, v2 = _views([-1, -1, -1])
    torch.testing.assert_close(SemiDistillObjective(T, alpha)(_Fixed(s2), v2)[0], (1 - alpha) * _soft(s2, t2, T))
    # alpha = 1: the unlabelled examples do not count at all
    torch.testing.assert_close(SemiDistillObjective(T, 1.0)(_Fixed(s), v)[0],
                               F.cross_entropy(s[lab], torch.tensor([3, 7, 0])))


def test_train_accuracy_counts_labelled_examples_only(digits):
    x, y = digits.train.tensors[0][:200], digits.train.tensors[1][:200].clone()
    y[1::2] = UNLABELLED
    trainer.seed_everything(0)
    model = zoo.build("tiny_mlp", (1, 8, 8), 10)  # no BatchNorm: train mode predicts like eval mode
    with torch.no_grad():
        pred = model(x).argmax(1)
    want = float((pred[::2] == y[::2]).float().mean())
    ds = TensorDataset(x, y, torch.randn(200, 10))
    res = trainer.fit(model, ds, digits.test, SemiDistillObjective(2.0, 0.5),
                      trainer.TrainConfig(epochs=1, lr=1e-12, batch_size=50, progress=False), name="s")
    assert res.history[0].train_acc == pytest.approx(want)


def test_paired_gain_statistics():
    accs = [(0.90, 0.80, 0.85), (0.92, 0.84, 0.86), (0.91, 0.82, 0.81)]
    rs = [SeedResult(i, {"teacher": t, "student_alone": a, "student": d}, {}, {}) for i, (t, a, d) in enumerate(accs)]
    agg = aggregate(rs)
    gains = [0.05, 0.02, -0.01]
    assert agg["gain"]["per_seed"] == pytest.approx(gains)
    assert agg["gain"]["mean"] == pytest.approx(np.mean(gains))
    assert agg["gain"]["std"] == pytest.approx(np.std(gains, ddof=1))  # paired: std of the differences
    assert agg["gain"]["wins"] == 2 and agg["gain"]["min"] == pytest.approx(-0.01)
    assert agg["student_alone"]["mean"] == pytest.approx(np.mean([0.80, 0.84, 0.82]))
    assert spread([0.5]) == {"mean": 0.5, "std": 0.0, "min": 0.5, "max": 0.5, "n": 1}


def test_equal_steps_for_both_students():
    # 100 labelled digits vs 1146 labelled + unlabelled ones, batch 32: epochs chosen for ~300 steps each
    assert epochs_for(300, 100, 32) * math.ceil(100 / 32) == 300
    assert abs(epochs_for(300, 1146, 32) * math.ceil(1146 / 32) - 300) <= 18
    assert epochs_for(1, 1146, 32) == 1


def test_tune_reads_validation_only(digits):
    blind = dataclasses.replace(digits, test=None)  # any use of the test split would fail
    rows = tune(TINY, blind, [1.0, 4.0], [0.5], seeds=[100])
    assert [(r["temperature"], r["alpha"]) for r in rows] in ([(1.0, 0.5), (4.0, 0.5)], [(4.0, 0.5), (1.0, 0.5)])
    assert rows[0]["val_acc"] >= rows[1]["val_acc"] and all(0 <= r["val_acc"] <= 1 for r in rows)
    with pytest.raises(EdgekdError, match="alpha"):
        tune(dataclasses.replace(TINY, alpha=2.0), blind, [1.0], [0.5], seeds=[100])


def test_anatomy_parts_add_up_and_structure_is_a_per_tensor_cost(tmp_path):
    from edgekd.distill.demo_sizes import anatomy
    from edgekd.testing.models import one_op_model, small_cnn
    from edgekd.tflite import save

    out = {}
    for name, g in (("small", one_op_model("CONV_2D", shape=(1, 4, 4, 2), out_ch=4)), ("large", small_cnn())):
        path = save(g, tmp_path / f"{name}.tflite")
        a = anatomy(path)
        parts = ("weights_int8_bytes", "biases_int32_bytes", "other_constant_bytes", "quant_param_bytes",
                 "structure_bytes")
        assert sum(a[k] for k in parts) == a["file_bytes"] == path.stat().st_size
        int8 = [t for t in g.tensors if t.data is not None and t.dtype == "int8"]
        assert a["weights_int8_bytes"] == sum(t.data.size for t in int8) == a["weight_count"]
        assert a["fp32_weight_bytes"] == 4 * (a["weight_count"] + a["bias_count"])
        assert a["quant_param_bytes"] == sum(12 * t.quant.scale.size for t in g.tensors if t.quant is not None)
        out[name] = a
    small, large = out["small"], out["large"]
    assert small["structure_bytes"] / small["file_bytes"] > 5 * large["structure_bytes"] / large["file_bytes"]
    assert small["structure_bytes"] / small["tensors"] == pytest.approx(
        large["structure_bytes"] / large["tensors"], rel=0.5)


def test_seeds_in_worker_processes_give_the_same_results(digits):
    from edgekd.distill.demo_semi import run_seeds

    one = run_seeds(TINY, digits, [0, 1], jobs=1)
    two = run_seeds(TINY, digits, [0, 1], jobs=2)
    assert [r.seed for r in two] == [0, 1]
    assert [r.test_acc for r in one] == [r.test_acc for r in two]
    assert [r.runs["student"].history[-1].test_loss for r in one] == [r.runs["student"].history[-1].test_loss
                                                                       for r in two]
