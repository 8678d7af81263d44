"""Knowledge distillation (workstation side; needs the ``train`` extra: torch, scikit-learn, matplotlib).

``import edgekd`` never imports this package, so the device side stays free of torch.

    from edgekd.distill import DistillConfig, run_distill
    result = run_distill(DistillConfig(dataset="digits", epochs=10, out="runs/digits"))

Modules: losses (logit / ensemble / hint losses), hints (FitNets hooks and regressors), objectives (what a
training step minimizes), trainer (loop, checkpoints, resume), data (data sets and preprocessing), zoo
(models), plots, config (TOML), ddp (torchrun), pipeline (the three runs), sweep, and the variants
ensemble, self_distill and paired.
"""
from .config import DistillConfig, build_config, load_toml
from .losses import distillation_loss, ensemble_distillation_loss, hint_loss
from .pipeline import DistillResult, run_distill
from .trainer import TrainConfig, fit, load_model

__all__ = ["DistillConfig", "DistillResult", "TrainConfig", "build_config", "distillation_loss",
           "ensemble_distillation_loss", "fit", "hint_loss", "load_model", "load_toml", "run_distill"]
