"""Trainer: learns, is deterministic, resumes exactly, writes the documented checkpoint format."""
from __future__ import annotations

import pytest
import torch

from edgekd.distill import data, trainer, zoo
from edgekd.distill.objectives import DistillObjective, SupervisedObjective
from edgekd.errors import EdgekdError

CFG = trainer.TrainConfig(epochs=2, lr=3e-3, batch_size=64, seed=0, progress=False)


def fresh(name="cnn_student_8x8", seed=0):
    trainer.seed_everything(seed)
    return zoo.build(name, (1, 8, 8), 10)


def meta(name="cnn_student_8x8"):
    return {"model_name": name, "model_kwargs": {"input_shape": [1, 8, 8], "num_classes": 10},
            "preprocess": data.Preprocess((1, 8, 8), 16.0).to_dict(), "role": "student"}


def test_supervised_training_learns_digits(digits):
    model = fresh("tiny_mlp")
    before = trainer.evaluate(model, digits.test, torch.device("cpu"))[1]
    res = trainer.fit(model, digits.train, digits.test, SupervisedObjective(),
                      trainer.TrainConfig(epochs=4, lr=1e-2, batch_size=64, progress=False), name="s")
    assert before < 0.3 and res.test_acc > 0.85
    assert res.history[-1].train_loss < res.history[0].train_loss
    assert [h.epoch for h in res.history] == [1, 2, 3, 4]
    assert res.history[-1].lr == pytest.approx(0.0, abs=1e-12)  # cosine decays to zero on the last step


def test_same_seed_same_weights(digits):
    a, b = fresh(), fresh()
    trainer.fit(a, digits.train, digits.test, SupervisedObjective(), CFG, name="a")
    trainer.fit(b, digits.train, digits.test, SupervisedObjective(), CFG, name="b")
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(va, vb), k
    c = fresh()
    trainer.fit(c, digits.train, digits.test, SupervisedObjective(), trainer.TrainConfig(**{**CFG.__dict__, "seed": 5}),
                name="c")
    assert not torch.equal(a.state_dict()["classifier.1.weight"], c.state_dict()["classifier.1.weight"])


def test_resume_equals_uninterrupted(digits, tmp_path):
    cfg3 = trainer.TrainConfig(**{**CFG.__dict__, "epochs": 3})
    full = fresh()
    trainer.fit(full, digits.train, digits.test, SupervisedObjective(), cfg3, name="full", checkpoint=tmp_path / "f.pt")
    # interrupt after one epoch: fit with epochs=3 but stop by raising from the checkpoint writer
    part = fresh()
    calls = {"n": 0}
    real_save = trainer.save_checkpoint

    def save_then_crash(path, payload):
        real_save(path, payload)
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyboardInterrupt

    trainer.save_checkpoint = save_then_crash
    try:
        with pytest.raises(KeyboardInterrupt):
            trainer.fit(part, digits.train, digits.test, SupervisedObjective(), cfg3, name="p",
                        checkpoint=tmp_path / "p.pt")
    finally:
        trainer.save_checkpoint = real_save
    ck = trainer.load_checkpoint(tmp_path / "p.pt")
    assert ck["epoch"] == 1 and not ck["complete"] and ck["train_state"]
    resumed = fresh(seed=99)  # different init: every weight must come from the checkpoint
    res = trainer.fit(resumed, digits.train, digits.test, SupervisedObjective(), cfg3, name="p",
                      checkpoint=tmp_path / "p.pt", resume=True)
    assert res.resumed_at_epoch == 1 and len(res.history) == 3
    for (k, va), vb in zip(full.state_dict().items(), resumed.state_dict().values()):
        torch.testing.assert_close(va, vb, rtol=0, atol=0, msg=k)
    # resuming a complete run trains nothing and returns the same history
    again = trainer.fit(fresh(), digits.train, digits.test, SupervisedObjective(), cfg3, name="p",
                        checkpoint=tmp_path / "p.pt", resume=True)
    assert again.resumed_at_epoch == 3 and again.history == res.history


def test_checkpoint_format_rebuilds_the_model(digits, tmp_path):
    model = fresh()
    trainer.fit(model, digits.train, digits.test, SupervisedObjective(), CFG, name="s", checkpoint=tmp_path / "s.pt",
                meta=meta())
    ck = torch.load(tmp_path / "s.pt", weights_only=True)  # no pickled code needed
    assert ck["format"] == trainer.CHECKPOINT_FORMAT and ck["complete"] and ck["epoch"] == 2
    assert ck["model_name"] == "cnn_student_8x8" and ck["preprocess"]["divide_by"] == 16.0
    assert ck["train_state"] == {} and len(ck["history"]) == 2
    rebuilt = zoo.build(ck["model_name"], **ck["model_kwargs"])
    rebuilt.load_state_dict(ck["state_dict"])
    x = digits.test.tensors[0][:16]
    model.eval(), rebuilt.eval()
    torch.testing.assert_close(rebuilt(x), model(x))
    loaded, _ = trainer.load_model(tmp_path / "s.pt")
    torch.testing.assert_close(loaded.eval()(x), model(x))
    whole = torch.load(tmp_path / "s.module.pt", weights_only=False)
    torch.testing.assert_close(whole.eval()(x), model(x))
    external, info = trainer.load_model(tmp_path / "s.module.pt")  # a pickled module works as a teacher too
    assert info["role"] == "external"


def test_bad_checkpoints(tmp_path):
    with pytest.raises(EdgekdError, match="checkpoint not found"):
        trainer.load_checkpoint(tmp_path / "none.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(EdgekdError, match="junk.pt: not an edgekd checkpoint"):
        trainer.load_checkpoint(tmp_path / "junk.pt")
    with pytest.raises(EdgekdError, match="junk.pt"):
        trainer.load_model(tmp_path / "junk.pt")
    torch.save({"format": "other"}, tmp_path / "other.pt")
    with pytest.raises(EdgekdError, match="format='edgekd.distill.checkpoint/1'"):
        trainer.load_checkpoint(tmp_path / "other.pt")


def test_distillation_moves_student_towards_teacher(digits):
    teacher = fresh("cnn_teacher_8x8")
    trainer.fit(teacher, digits.train, digits.test, SupervisedObjective(),
                trainer.TrainConfig(epochs=3, lr=3e-3, batch_size=64, progress=False), name="t")
    x = digits.test.tensors[0]
    with torch.no_grad():
        p_t = torch.softmax(teacher.eval()(x) / 4, 1)

    def kl_to_teacher(m):
        with torch.no_grad():
            return torch.nn.functional.kl_div(torch.log_softmax(m.eval()(x) / 4, 1), p_t, reduction="batchmean").item()

    student = fresh("tiny_mlp", seed=1)
    before = kl_to_teacher(student)
    # alpha = 0: the labels are never used, only the teacher's soft targets
    res = trainer.fit(student, digits.train, digits.test, DistillObjective(teacher, 4.0, 0.0),
                      trainer.TrainConfig(epochs=4, lr=1e-2, batch_size=64, progress=False), name="d")
    assert kl_to_teacher(student) < 0.3 * before
    assert res.test_acc > 0.7  # it learned the task from the teacher alone


def test_device_resolution():
    assert trainer.resolve_device("auto").type in ("cpu", "cuda")
    assert trainer.resolve_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(EdgekdError, match="CUDA is not available"):
            trainer.resolve_device("cuda")


def test_checkpoint_every_zero_writes_the_last_epoch_only(digits, tmp_path, monkeypatch):
    every = fresh()
    trainer.fit(every, digits.train, digits.test, SupervisedObjective(), trainer.TrainConfig(**{**CFG.__dict__, "epochs": 3}),
                name="e", checkpoint=tmp_path / "e.pt", meta=meta())
    saves = []
    real_save = trainer.save_checkpoint
    monkeypatch.setattr(trainer, "save_checkpoint", lambda path, payload: (saves.append(payload["epoch"]),
                                                                          real_save(path, payload)))
    last = fresh()
    trainer.fit(last, digits.train, digits.test, SupervisedObjective(),
                trainer.TrainConfig(**{**CFG.__dict__, "epochs": 3, "checkpoint_every": 0}),
                name="l", checkpoint=tmp_path / "l.pt", meta=meta())
    assert saves == [3]
    a, b = trainer.load_checkpoint(tmp_path / "e.pt"), trainer.load_checkpoint(tmp_path / "l.pt")
    assert a["complete"] and b["complete"] and b["epoch"] == 3 and b["train_state"] == {}
    for k, v in a["state_dict"].items():
        assert torch.equal(v, b["state_dict"][k]), k
