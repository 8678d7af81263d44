"""FitNets hints, born-again self-distillation and paired-input distillation."""
from __future__ import annotations

import pytest
import torch

from edgekd.distill import trainer, zoo
from edgekd.distill.hints import FeatureTap, HintRegressor, parse_pairs
from edgekd.distill.objectives import DistillObjective, SupervisedObjective
from edgekd.distill.paired import paired_adapter, synthetic_parallel, translate
from edgekd.distill.self_distill import born_again
from edgekd.errors import EdgekdError


def build(name, seed=0):
    trainer.seed_everything(seed)
    return zoo.build(name, (1, 8, 8), 10)


def test_feature_tap_records_named_layers_and_removes_hooks():
    m = build("cnn_teacher_8x8")
    tap = FeatureTap(m, ["features.2", "classifier.1"])
    m(torch.rand(3, 1, 8, 8))
    assert tap.features["features.2"].shape == (3, 16, 8, 8)   # after conv-bn-relu of the first block
    assert tap.features["classifier.1"].shape == (3, 128)
    tap.remove()
    tap.features.clear()
    m(torch.rand(1, 1, 8, 8))
    assert tap.features == {}
    with pytest.raises(EdgekdError, match="hint layer 'features.99' not found.*features.0"):
        FeatureTap(m, ["features.99"])


def test_regressor_maps_shapes():
    r = HintRegressor((2, 4, 8, 8), (2, 16, 4, 4))
    assert isinstance(r.proj, torch.nn.Conv2d) and r.proj.kernel_size == (1, 1)
    assert r(torch.rand(2, 4, 8, 8)).shape == (2, 16, 4, 4)
    assert HintRegressor((2, 5), (2, 7))(torch.rand(2, 5)).shape == (2, 7)
    with pytest.raises(EdgekdError):
        HintRegressor((2, 4, 8, 8), (2, 7))
    assert parse_pairs(["a.1 = b.2"]) == [("a.1", "b.2")]
    with pytest.raises(EdgekdError):
        parse_pairs(["a.1"])


def test_hint_distillation_trains_regressor_and_reduces_hint_loss(digits):
    teacher = build("cnn_teacher_8x8")
    trainer.fit(teacher, digits.train, digits.test, SupervisedObjective(),
                trainer.TrainConfig(epochs=1, batch_size=64, progress=False), name="t")
    student = build("cnn_student_8x8", seed=1)
    obj = DistillObjective(teacher, 4.0, 0.5, hints=[("features.2", "features.2")], hint_weight=10.0)
    x = digits.train.tensors[0][:256]

    def current_hint_loss():
        with torch.no_grad():
            student.eval(), teacher.eval()
            student(x), teacher(x)
            return obj.matcher.loss().item()

    obj.prepare(student, obj.adapter((x, digits.train.tensors[1][:256])))
    reg_before = obj.matcher.regressors[0].proj.weight.clone()
    before = current_hint_loss()
    trainer.fit(student, digits.train, digits.test, obj,
                trainer.TrainConfig(epochs=3, lr=1e-2, batch_size=64, progress=False), name="h")
    assert len(obj.extra_parameters()) == 2  # the regressor's weight and bias were optimized
    assert not torch.equal(reg_before, obj.matcher.regressors[0].proj.weight)
    # 4 student channels cannot reproduce 16 teacher channels, so the floor is high; a random regressor
    # starts above the teacher's own mean square (0.15 here), training must bring it clearly down
    assert current_hint_loss() < 0.9 * before
    obj.close()
    assert not student.features[2]._forward_hooks  # hooks removed: the student exports clean


def test_born_again_generations(digits):
    res = born_again(lambda: zoo.build("tiny_mlp", (1, 8, 8), 10), digits.train, digits.test,
                     trainer.TrainConfig(epochs=3, lr=1e-2, batch_size=64, progress=False), generations=2,
                     temperature=2.0, alpha=0.5)
    assert len(res.generations) == 3 and len(res.models) == 3
    assert all(acc > 0.8 for acc in res.accuracies), res.accuracies
    w0, w1 = (m.state_dict()["1.weight"] for m in res.models[:2])
    assert not torch.equal(w0, w1)


def test_paired_input_distillation_on_synthetic_parallel_data(digits):
    """Teacher reads the images, the student only ever sees their "translation" (permuted, inverted pixels);
    with alpha = 0 no label reaches the student, so its accuracy comes from the teacher through the pairing."""
    teacher = build("cnn_teacher_8x8")
    trainer.fit(teacher, digits.train, digits.test, SupervisedObjective(),
                trainer.TrainConfig(epochs=3, batch_size=64, progress=False), name="t")
    train, test = synthetic_parallel(digits.train), synthetic_parallel(digits.test)
    x_t, x_s, y = train.tensors
    assert not torch.allclose(x_t, x_s) and torch.allclose(translate(x_t), x_s)
    student = build("tiny_mlp", seed=1)  # an MLP: the pixel permutation does not hurt it
    chance_like = trainer.evaluate(student, test, torch.device("cpu"), adapter=paired_adapter)[1]
    res = trainer.fit(student, train, test, DistillObjective(teacher, 2.0, 0.0, adapter=paired_adapter),
                      trainer.TrainConfig(epochs=6, lr=1e-2, batch_size=64, progress=False), name="paired")
    assert chance_like < 0.3 and res.test_acc > 0.8, (chance_like, res.test_acc)
    # the teacher cannot read the student's language: the views really are different
    assert trainer.evaluate(teacher, torch.utils.data.TensorDataset(x_s, y), torch.device("cpu"))[1] < 0.5
