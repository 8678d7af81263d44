"""Each loss against a hand computation in numpy (independent of torch's implementation)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from edgekd.distill import losses

S = np.array([[2.0, 1.0, 0.1], [0.5, -1.0, 3.0]])
T = np.array([[1.0, 3.0, -2.0], [0.0, 0.0, 0.0]])
Y = np.array([0, 2])


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def kl_batchmean(p: np.ndarray, q: np.ndarray) -> float:
    return float((p * (np.log(p) - np.log(q))).sum(axis=1).mean())


def ce(s: np.ndarray, y: np.ndarray) -> float:
    return float(-np.log(softmax(s)[np.arange(len(y)), y]).mean())


def t(a: np.ndarray) -> torch.Tensor:
    return torch.tensor(a, dtype=torch.float64 if a.dtype.kind == "f" else torch.int64)


@pytest.mark.parametrize("temp", [1.0, 2.0, 4.0])
@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.0])
def test_distillation_loss_matches_hand_computation(temp, alpha):
    expected = alpha * ce(S, Y) + (1 - alpha) * temp**2 * kl_batchmean(softmax(T / temp), softmax(S / temp))
    got = losses.distillation_loss(t(S), t(T), t(Y), temperature=temp, alpha=alpha).item()
    assert got == pytest.approx(expected, rel=1e-6)


def test_known_value_for_one_case():
    # Worked by hand for the first row alone at T=1, alpha=0: KL(softmax([1,3,-2]) || softmax([2,1,.1])).
    p = np.exp([1.0, 3.0, -2.0]) / np.exp([1.0, 3.0, -2.0]).sum()
    q = np.exp([2.0, 1.0, 0.1]) / np.exp([2.0, 1.0, 0.1]).sum()
    expected = sum(pi * np.log(pi / qi) for pi, qi in zip(p, q))
    got = losses.distillation_loss(t(S[:1]), t(T[:1]), None, temperature=1.0, alpha=0.0).item()
    assert got == pytest.approx(expected, rel=1e-9)
    assert expected == pytest.approx(0.9047, abs=5e-4)  # worked on paper: .1185*ln(.1185/.659) + .8756*ln(.8756/.2424) + .0059*ln(.0059/.0986)


def test_alpha_one_is_cross_entropy_and_ignores_teacher():
    a = losses.distillation_loss(t(S), t(T), t(Y), temperature=3.0, alpha=1.0).item()
    b = losses.distillation_loss(t(S), t(-T * 5), t(Y), temperature=3.0, alpha=1.0).item()
    assert a == pytest.approx(ce(S, Y), rel=1e-9) and a == b


def test_zero_when_student_equals_teacher():
    assert losses.distillation_loss(t(T), t(T), None, temperature=4.0, alpha=0.0).item() == pytest.approx(0, abs=1e-12)


def test_gradient_of_soft_term_scales_like_logit_difference():
    # Hinton et al.: d/ds of T^2*KL = T * (q - p); with alpha=0 the gradient per example is (q - p)*T / batch.
    s = t(S).requires_grad_(True)
    temp = 4.0
    losses.distillation_loss(s, t(T), None, temperature=temp, alpha=0.0).backward()
    expected = temp * (softmax(S / temp) - softmax(T / temp)) / len(S)
    np.testing.assert_allclose(s.grad.numpy(), expected, rtol=1e-9)


def test_ensemble_matches_weighted_average_of_probabilities():
    t2 = np.array([[0.0, -1.0, 2.0], [1.0, 1.0, -1.0]])
    temp, alpha, w = 2.0, 0.25, [3.0, 1.0]
    p = 0.75 * softmax(T / temp) + 0.25 * softmax(t2 / temp)
    expected = alpha * ce(S, Y) + (1 - alpha) * temp**2 * kl_batchmean(p, softmax(S / temp))
    got = losses.ensemble_distillation_loss(t(S), [t(T), t(t2)], t(Y), temperature=temp, alpha=alpha, weights=w)
    assert got.item() == pytest.approx(expected, rel=1e-6)
    # unweighted = equal weights
    p_eq = 0.5 * softmax(T / temp) + 0.5 * softmax(t2 / temp)
    got_eq = losses.ensemble_distillation_loss(t(S), [t(T), t(t2)], None, temperature=temp, alpha=0.0)
    assert got_eq.item() == pytest.approx(temp**2 * kl_batchmean(p_eq, softmax(S / temp)), rel=1e-6)


def test_ensemble_teacher_module_equals_ensemble_loss():
    from edgekd.distill.ensemble import EnsembleTeacher

    torch.manual_seed(0)
    teachers = [torch.nn.Linear(4, 3).double(), torch.nn.Linear(4, 3).double()]
    x = torch.randn(5, 4, dtype=torch.float64)
    s = torch.randn(5, 3, dtype=torch.float64)
    y = torch.tensor([0, 1, 2, 0, 1])
    ens = EnsembleTeacher(teachers, temperature=3.0, weights=[1.0, 2.0])
    via_module = losses.distillation_loss(s, ens(x), y, temperature=3.0, alpha=0.4)
    direct = losses.ensemble_distillation_loss(s, [m(x) for m in teachers], y, temperature=3.0, alpha=0.4,
                                               weights=[1.0, 2.0])
    assert via_module.item() == pytest.approx(direct.item(), rel=1e-9)


def test_hint_loss_is_mean_squared_error():
    a = np.arange(24, dtype=np.float64).reshape(2, 3, 2, 2) / 7
    b = np.cos(a)
    assert losses.hint_loss(t(a), t(b)).item() == pytest.approx(float(((a - b) ** 2).mean()), rel=1e-12)
    with pytest.raises(ValueError, match="hint shapes differ"):
        losses.hint_loss(t(a), t(b[:, :2]))


@pytest.mark.parametrize("bad", [{"alpha": 1.5}, {"alpha": -0.1}, {"temperature": 0.0}])
def test_invalid_hyperparameters_raise(bad):
    kw = {"temperature": 2.0, "alpha": 0.5, **bad}
    with pytest.raises(ValueError):
        losses.distillation_loss(t(S), t(T), t(Y), **kw)


def test_bad_ensemble_weights_raise():
    with pytest.raises(ValueError, match="weights"):
        losses.ensemble_soft_targets([t(T), t(T)], 1.0, [1.0])
    with pytest.raises(ValueError, match="non-negative"):
        losses.ensemble_soft_targets([t(T), t(T)], 1.0, [1.0, -1.0])
