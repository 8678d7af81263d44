"""`edgekd quantize` end to end: a distill checkpoint or a whole saved module in, .tflite + JSON report out."""
from __future__ import annotations

import json

import torch

from edgekd.cli import main
from edgekd.distill import zoo
from quantize_helpers import randomize_bn


def _checkpoint(path, name="cnn_student_8x8"):
    torch.manual_seed(0)
    model = randomize_bn(zoo.build(name, (1, 8, 8), 10))
    # the documented checkpoint format of edgekd.distill.trainer (only the fields a consumer needs)
    torch.save({"format": "edgekd.distill.checkpoint/1", "model_name": name,
                "model_kwargs": {"input_shape": [1, 8, 8], "num_classes": 10}, "state_dict": model.state_dict(),
                "preprocess": {"input_shape": [1, 8, 8], "divide_by": 16.0, "layout": "NCHW",
                               "value_range": [0.0, 1.0]}, "role": "student"}, path)
    return model


def test_quantize_a_distill_checkpoint(tmp_path, capsys):
    _checkpoint(tmp_path / "student.pt")
    out = tmp_path / "student.tflite"
    rc = main(["quantize", str(tmp_path / "student.pt"), "--data", "digits", "--calib-batches", "2",
               "--observer", "percentile", "--onnx", str(tmp_path / "student.onnx"), "-o", str(out)])
    assert rc == 0
    assert out.stat().st_size > 0 and (tmp_path / "student.onnx").stat().st_size > 0
    report = json.loads((tmp_path / "student.quant.json").read_text())
    assert report["observer"] == "percentile" and report["calib_batches"] == 2
    assert report["int8_backend"] in ("edgekd", "litert") and report["eval_samples"] == 450
    assert report["output_sqnr_db"] > 20 and report["onnx_sqnr_db"] is not None
    assert [layer["kind"] for layer in report["layers"]] == ["conv", "maxpool", "conv", "maxpool", "reshape",
                                                             "linear"]
    assert "accuracy" in capsys.readouterr().out


def test_qat_with_a_teacher_saved_as_a_whole_module(tmp_path):
    _checkpoint(tmp_path / "student.pt")
    teacher = zoo.build("cnn_teacher_8x8", (1, 8, 8), 10).eval()
    torch.save(teacher, tmp_path / "teacher.pt")
    rc = main(["quantize", str(tmp_path / "student.pt"), "--data", "digits", "--calib-batches", "2", "--qat",
               "--teacher", str(tmp_path / "teacher.pt"), "--epochs", "1", "--int8-io", "--report",
               str(tmp_path / "r.json"), "-o", str(tmp_path / "s.tflite")])
    assert rc == 0
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["qat"]["distilled"] is True and len(report["qat"]["history"]) == 1
    assert report["ptq_int8_accuracy"] is not None
    assert report["sim_sqnr_db"] > 30  # the file follows the QAT-trained int8 simulation
    from edgekd.tflite import read_tflite

    g = read_tflite((tmp_path / "s.tflite").read_bytes())
    assert g.tensors[g.inputs[0]].dtype == "int8"


def test_user_mistakes_are_one_line_errors(tmp_path, capsys):
    assert main(["quantize", str(tmp_path / "missing.pt"), "--data", "digits", "-o", str(tmp_path / "x.tflite")]) == 2
    assert "missing.pt" in capsys.readouterr().err
    _checkpoint(tmp_path / "student.pt")
    assert main(["quantize", str(tmp_path / "student.pt"), "--data", "digits", "--teacher", "t.pt",
                 "-o", str(tmp_path / "x.tflite")]) == 2
    assert "--teacher is used by QAT" in capsys.readouterr().err
    assert main(["quantize", str(tmp_path / "student.pt"), "--data", str(tmp_path / "nodata"),
                 "-o", str(tmp_path / "x.tflite")]) == 2
    assert "nodata" in capsys.readouterr().err
