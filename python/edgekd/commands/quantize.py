"""`edgekd quantize`: a PyTorch student -> int8 .tflite, with an fp32 vs int8 report (and optional QAT)."""
from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="student: an `edgekd distill` checkpoint (<run>.pt) or a whole saved module")
    p.add_argument("--data", required=True, help="digits, fashion-mnist, mnist or a directory of IDX files")
    p.add_argument("-o", "--output", required=True, help="the .tflite to write")
    p.add_argument("--calib-batches", type=int, default=16, help="calibration batches (default 16)")
    p.add_argument("--batch-size", type=int, default=64, help="calibration / QAT batch size (default 64)")
    p.add_argument("--observer", choices=["minmax", "percentile", "mse"], default="minmax",
                   help="activation range observer (default minmax)")
    p.add_argument("--bias-correction", action="store_true", help="correct the bias shift of weight rounding")
    p.add_argument("--qat", action="store_true", help="quantization-aware training after calibration")
    p.add_argument("--teacher", help="teacher for QAT with distillation (checkpoint or saved module)")
    p.add_argument("--epochs", type=int, default=3, help="QAT epochs (default 3)")
    p.add_argument("--lr", type=float, default=1e-3, help="QAT learning rate (default 1e-3)")
    p.add_argument("--ema-ranges", action="store_true",
                   help="QAT: follow batch ranges with a moving average instead of learning the scales (LSQ)")
    p.add_argument("--freeze-bn-after", type=int, default=None,
                   help="QAT epochs before BN statistics freeze (default: epochs - 1)")
    p.add_argument("--temperature", type=float, default=4.0, help="distillation temperature (default 4)")
    p.add_argument("--alpha", type=float, default=0.5, help="hard-label weight when distilling (default 0.5)")
    p.add_argument("--int8-io", action="store_true", help="int8 model input/output instead of float32 edges")
    p.add_argument("--onnx", help="also write a QDQ ONNX model of the same quantization here")
    p.add_argument("--report", help="report JSON path (default: <output>.quant.json)")
    p.add_argument("--eval-limit", type=int, default=None, help="evaluate on at most this many test samples")
    p.add_argument("--backend", choices=["edgekd", "litert"], default="edgekd",
                   help="run the int8 file in edgekd's runtime (LiteRT only if that fails) or in LiteRT")
    p.add_argument("--seed", type=int, default=0, help="seed for calibration sampling and QAT (default 0)")


def run(args: argparse.Namespace) -> int:
    import torch

    from ..distill import data as data_mod
    from ..errors import EdgekdError
    from .console import live_progress, make_console
    from ..quantize import QATConfig, load_student, quantize_and_export

    torch.manual_seed(args.seed)
    if args.teacher and not args.qat:
        raise EdgekdError("--teacher is used by QAT; add --qat")
    if args.calib_batches < 1:
        raise EdgekdError(f"--calib-batches must be >= 1, got {args.calib_batches}")
    model, meta = load_student(args.model)
    bundle = data_mod.load(args.data)
    pre = meta.get("preprocess") if isinstance(meta, dict) else None
    if pre and tuple(pre.get("input_shape", bundle.input_shape)) != tuple(bundle.input_shape):
        raise EdgekdError(f"{args.model}: trained on inputs {tuple(pre['input_shape'])}, but --data {args.data} "
                          f"gives {tuple(bundle.input_shape)}")
    calib = data_mod.make_loader(bundle.train, args.batch_size, shuffle=True, seed=args.seed)
    test = data_mod.make_loader(bundle.test, 1000, shuffle=False)
    teacher = None
    if args.teacher:
        from ..distill.trainer import load_model

        teacher, _ = load_model(args.teacher)
    cfg = QATConfig(epochs=args.epochs, lr=args.lr, freeze_bn_after=args.freeze_bn_after,
                    temperature=args.temperature, alpha=args.alpha, seed=args.seed, progress=live_progress(),
                    learn_ranges=not args.ema_ranges)
    out = Path(args.output)
    report_path = Path(args.report) if args.report else out.with_suffix(".quant.json")
    report = quantize_and_export(
        model, calib, test, out, args.observer, calib_batches=args.calib_batches,
        bias_correction=args.bias_correction, qat=args.qat, train_loader=calib if args.qat else None,
        teacher=teacher, qat_config=cfg, int8_io=args.int8_io, onnx_path=args.onnx, report_path=report_path,
        eval_limit=args.eval_limit, backend=args.backend, model_name=str(args.model))
    report.print(make_console())
    print(f"wrote {out} ({report.int8_bytes} bytes) and {report_path}")
    return 0
