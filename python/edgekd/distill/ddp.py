"""Multi-process training with torch.distributed (DDP), launched by ``torchrun --nproc_per_node N``.

``torchrun`` sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT; :func:`init_from_env` joins
the process group (gloo on CPU, nccl on CUDA) when WORLD_SIZE > 1 and does nothing otherwise, so the same
entry point (``edgekd distill``) runs alone or under torchrun. The trainer then wraps the model in
DistributedDataParallel, shards the training set with a DistributedSampler (global batch size = the
configured batch size; each rank takes ``batch_size / world_size``), all-reduces the training metrics,
evaluates the full test set on every rank (identical weights, identical numbers), and lets rank 0 alone
write checkpoints, metrics and figures.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator, Sequence

import torch
import torch.distributed as dist


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized()


def rank() -> int:
    return dist.get_rank() if is_distributed() else 0


def world_size() -> int:
    return dist.get_world_size() if is_distributed() else 1


def local_rank() -> int:
    return int(os.environ.get("LOCAL_RANK", "0")) if is_distributed() else 0


def is_main() -> bool:
    return rank() == 0


def init_from_env(device: torch.device | None = None) -> bool:
    """Join the process group described by torchrun's environment; True if now distributed."""
    if is_distributed():
        return True
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return False
    backend = "nccl" if device is not None and device.type == "cuda" else "gloo"
    dist.init_process_group(backend=backend)
    if device is not None and device.type == "cuda":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    return True


def shutdown() -> None:
    if is_distributed():
        dist.destroy_process_group()


@contextmanager
def process_group_from_env(device: torch.device | None = None) -> Iterator[bool]:
    """Join on entry (if launched by torchrun), leave on exit — only if this context joined."""
    joined_here = not is_distributed() and init_from_env(device)
    try:
        yield is_distributed()
    finally:
        if joined_here:
            shutdown()


def all_reduce_sum(values: Sequence[float]) -> list[float]:
    """Sum a few floats over ranks (float64 so that counts stay exact)."""
    if not is_distributed():
        return [float(v) for v in values]
    t = torch.tensor([float(v) for v in values], dtype=torch.float64)
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t.tolist()


def average_gradients(params: Sequence[torch.nn.Parameter]) -> None:
    """Average the gradients of parameters that DDP does not own (e.g. FitNets regressors)."""
    if not is_distributed():
        return
    n = world_size()
    for p in params:
        if p.grad is not None:
            dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)
            p.grad /= n


def barrier() -> None:
    if is_distributed():
        dist.barrier()


def broadcast_object(obj: object) -> object:
    """Rank 0's value of ``obj`` on every rank."""
    if not is_distributed():
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]
