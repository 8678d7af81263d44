"""`edgekd inspect model.tflite`: the ops, tensors, quantization and sizes of a .tflite file, and the ops
edgekd's native runtime cannot run (found by the runtime's own op builder, before any load)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="path to a .tflite file")
    p.add_argument("--json", action="store_true", help="print a JSON summary instead of tables")
    p.add_argument("--no-tensors", action="store_true", help="leave out the tensor table")
    p.add_argument("--full-names", action="store_true",
                   help="print tensor names in full (TF's converter joins fused names with ';')")


def _short_name(name: str, limit: int = 40) -> str:
    """TF's converter names fused tensors 'a/Relu;a/conv;...': keep the first part, then the tail."""
    if len(name) <= limit:
        return name
    first = name.split(";", 1)[0]
    return first if len(first) <= limit else "…" + first[-(limit - 1):]


def _quant_text(t: Any) -> str:
    q = t.quant
    if q is None:
        return "-"
    if q.is_per_channel:
        zp = (f"zp={int(q.zero_point.min())}" if q.zero_point.min() == q.zero_point.max()
              else f"zp=[{int(q.zero_point.min())},{int(q.zero_point.max())}]")
        return (f"per-channel x{q.per_channel_count} dim={q.quantized_dimension} "
                f"s=[{q.scale.min():.3g},{q.scale.max():.3g}] {zp}")
    return f"s={float(q.scale[0]):.4g} zp={int(q.zero_point[0])}"


def _options_text(op_type: str, opts: dict[str, Any]) -> str:
    """Compact options: window ops as 'SAME s2x2 k3x3 RELU6', others as the non-default k=v pairs."""
    from ..ir import OPTION_DEFAULTS

    o = dict(opts)
    parts: list[str] = []
    if "padding" in o and "stride_h" in o:
        parts.append(f"{o.pop('padding')} s{o.pop('stride_h')}x{o.pop('stride_w')}")
        if "filter_height" in o:
            parts.append(f"k{o.pop('filter_height')}x{o.pop('filter_width')}")
        dh, dw = o.pop("dilation_h_factor", 1), o.pop("dilation_w_factor", 1)
        if (dh, dw) != (1, 1):
            parts.append(f"d{dh}x{dw}")
        if o.get("depth_multiplier", 1) != 1:
            parts.append(f"mult={o['depth_multiplier']}")
        o.pop("depth_multiplier", None)
    act = o.pop("fused_activation_function", "NONE")
    defaults = OPTION_DEFAULTS.get(op_type, {})
    for k, v in o.items():
        if k in defaults and v == defaults[k] and k not in ("axis", "keep_dims"):
            continue
        if isinstance(v, float):
            v = f"{v:g}"
        elif isinstance(v, (list, tuple)):
            v = "[" + ",".join(str(x) for x in v) + "]"
        parts.append(f"{k}={v}")
    if act != "NONE":
        parts.append(act)
    return " ".join(parts)


def _shape_text(t: Any) -> str:
    sig = t.shape_signature
    dims = sig if sig is not None and len(sig) == len(t.shape) else t.shape
    return "[" + ",".join("?" if d < 0 else str(d) for d in dims) + "]"


def _human(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def runtime_check(data: bytes) -> tuple[list[int], str | None]:
    """(indices of the ops the native runtime has no kernel for, None) or ([], why the runtime cannot
    load the model at all)."""
    from .. import _core

    try:
        return list(_core.unsupported_ops(data)), None
    except ValueError as e:
        return [], str(e)


def _json_summary(info: Any, unsupported: list[int], runtime_error: str | None) -> dict[str, Any]:
    g = info.graph
    return {
        "file_size": info.file_size,
        "schema_version": info.schema_version,
        "description": info.description,
        "subgraphs": info.num_subgraphs,
        "operator_codes": [{"op": t, "version": v} for t, v in info.operator_codes],
        "inputs": g.inputs,
        "outputs": g.outputs,
        "ops": [{"index": i, "type": op.type, "version": op.version, "inputs": op.inputs, "outputs": op.outputs,
                 "options": op.options} for i, op in enumerate(g.ops)],
        "tensors": [{
            "index": i, "name": t.name, "shape": list(t.shape), "dtype": t.dtype,
            "buffer": info.tensor_buffers[i], "bytes": t.nbytes,
            "scale": None if t.quant is None else [float(s) for s in t.quant.scale],
            "zero_point": None if t.quant is None else [int(z) for z in t.quant.zero_point],
            "quantized_dimension": None if t.quant is None else t.quant.quantized_dimension,
        } for i, t in enumerate(g.tensors)],
        "unsupported_ops": [{"index": i, "type": g.ops[i].type} for i in unsupported],
        "runtime_error": runtime_error,
        "constant_bytes": g.constant_bytes(),
        "external_buffers": info.external_buffers,
        "signatures": info.signatures,
        "metadata": info.metadata,
    }


def run(args: argparse.Namespace) -> int:
    from ..tflite.reader import read_tflite_info

    info = read_tflite_info(args.model)  # errors name the file; the bytes are read again only if it parses
    g = info.graph
    unsupported, runtime_error = runtime_check(Path(args.model).read_bytes())
    if args.json:
        print(json.dumps(_json_summary(info, unsupported, runtime_error), indent=2))
        return 0

    from rich.console import Console
    from rich.table import Table

    console = Console()
    names = [t.name if args.full_names else _short_name(t.name) for t in g.tensors]

    def ref(i: int) -> str:
        return "-" if i < 0 else f"{i}:{names[i]}"

    console.print(f"[bold]{args.model}[/bold]: {_human(info.file_size)}, schema v{info.schema_version}, "
                  f"{info.num_subgraphs} subgraph(s), {len(g.ops)} ops, {len(g.tensors)} tensors"
                  + (f", description {info.description!r}" if info.description else ""))
    if info.num_subgraphs > 1:
        console.print(f"[yellow]showing subgraph 0 of {info.num_subgraphs}[/yellow]")
    console.print("inputs: " + ", ".join(f"{ref(i)} {_shape_text(g.tensors[i])} {g.tensors[i].dtype}"
                                         for i in g.inputs))
    console.print("outputs: " + ", ".join(f"{ref(i)} {_shape_text(g.tensors[i])} {g.tensors[i].dtype}"
                                          for i in g.outputs))

    if runtime_error is not None:
        console.print(f"[red]edgekd's runtime cannot load this model:[/red] {runtime_error}", highlight=False)
    elif unsupported:
        console.print(f"[red]{len(unsupported)} op(s) edgekd's runtime cannot run:[/red] "
                      + ", ".join(f"op {i} ({g.ops[i].type})" for i in unsupported), highlight=False)
    else:
        console.print("edgekd's runtime can run every op", highlight=False)

    ops = Table(title="operators", show_lines=False)
    for col in ("#", "op", "v", "inputs", "outputs", "options"):
        ops.add_column(col, overflow="fold")
    missing = set(unsupported)
    for i, op in enumerate(g.ops):
        # inputs as tensor indices (names are in the tensor table), outputs with name and shape
        op_text = f"[red]{op.type} (unsupported)[/red]" if i in missing else op.type
        ops.add_row(str(i), op_text, str(op.version or ""),
                    ",".join("-" if t < 0 else str(t) for t in op.inputs),
                    ", ".join(f"{ref(t)} {_shape_text(g.tensors[t])}" for t in op.outputs),
                    _options_text(op.type, op.options))
    console.print(ops)

    if not args.no_tensors:
        tt = Table(title="tensors")
        for col in ("#", "name", "shape", "dtype", "quantization", "buffer", "bytes"):
            tt.add_column(col, overflow="fold", justify="right" if col in ("#", "buffer", "bytes") else "left")
        for i, t in enumerate(g.tensors):
            tt.add_row(str(i), names[i], _shape_text(t), t.dtype, _quant_text(t), str(info.tensor_buffers[i]),
                       str(t.nbytes) if t.data is not None else "")
        console.print(tt)

    counts: dict[str, int] = {}
    for op in g.ops:
        counts[op.type] = counts.get(op.type, 0) + 1
    console.print("op counts: " + ", ".join(f"{k} x{v}" for k, v in sorted(counts.items())))
    const = g.constant_bytes()
    used_buffers = sum(1 for s in info.buffer_sizes if s)
    console.print(f"constants: {_human(const)} in {used_buffers} buffers"
                  + (f" ({info.external_buffers} stored outside the flatbuffer)" if info.external_buffers else "")
                  + f"; file: {_human(info.file_size)} ({info.file_size} bytes)")
    if info.signatures:
        console.print("signatures: " + ", ".join(info.signatures))
    return 0
