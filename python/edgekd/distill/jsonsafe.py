"""Values made strict JSON for the distillation records, without importing torch (the demo report reads
and writes them in a light process)."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any


def json_safe(obj: Any) -> Any:
    """NaN/inf -> None so that the file is strict JSON (a loaded teacher has no training loss); paths as
    strings; dict keys as strings."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    return obj
