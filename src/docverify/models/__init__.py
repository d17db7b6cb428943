"""ONNX models shipped with docverify (package data), listed with their SHA-256 in ``registry.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt


def record_trained(name: str, onnx: Path, metrics: dict[str, Any], card_dir: Path) -> None:
    """Training-time bookkeeping of a freshly exported model (``models/*/train.py``): ``metrics`` (with its
    ``sha256`` and ``labels``) written to ``card_dir/metrics.json``, and the model's entry (file name,
    SHA-256, labels) set in the ``registry.json`` beside ``onnx``, the file the runtime checks models
    against."""
    (card_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    registry_path = onnx.parent / "registry.json"
    registry = json.loads(registry_path.read_text()) if registry_path.exists() else {}
    registry[name] = {"file": onnx.name, "sha256": metrics["sha256"], "labels": metrics["labels"]}
    registry_path.write_text(json.dumps(registry, indent=2) + "\n")


def detection_metrics(genuine: npt.ArrayLike, forged: npt.ArrayLike) -> dict[str, float]:
    """Training-time metrics of a score (higher: forged) on ``genuine`` and ``forged`` items: ROC-AUC (ties
    count half) and the share of forged items above the 99th and 97th percentile of the genuine scores
    (detection at 1 % and 3 % false alarms), rounded to 4 places."""
    neg, pos = np.asarray(genuine, dtype=np.float64), np.asarray(forged, dtype=np.float64)
    auc = float((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())
    return {
        "auc": round(auc, 4),
        "detected_at_1pct": round(float((pos > np.quantile(neg, 0.99)).mean()), 4),
        "detected_at_3pct": round(float((pos > np.quantile(neg, 0.97)).mean()), 4),
    }
