"""Train the lessons' Fashion-MNIST CNN once and record what it cost and what it reached.

Writes JSON to stdout and to benchmarks/results/fmnist_cnn.json: test accuracy, training
seconds (wall clock and CPU), peak memory, hardware, torch version and the load average,
because on a shared machine the wall-clock time says as much about the neighbours as about
the model. The trained model is saved where ``learntorch.zoo.fashion_cnn()`` looks for it,
so the lessons that need it do not train it again.

    python benchmarks/fmnist_cnn.py            # the full recipe (minutes)
    python benchmarks/fmnist_cnn.py --dry-run  # one epoch on 1,000 images (seconds), no JSON file
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
from pathlib import Path

import torch
from machine import cpu_model  # benchmarks/machine.py
from targets import check  # benchmarks/targets.py

from learntorch import checkpoints, zoo

RESULT = Path(__file__).parent / "results" / "fmnist_cnn.json"
TARGET_ACCURACY = 0.92
BUDGET_SECONDS = 180


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true",
                        help="one epoch on 1,000 images, not saved to results/ (default: off)")
    args = parser.parse_args(argv)
    overrides = {"epochs": 1, "subset": 1000, "test_subset": 1000} if args.dry_run else {}
    load_before = os.getloadavg()
    # Always train: the benchmark measures training, it must not reuse a cached model.
    path = zoo.fashion_cnn_path(**overrides)
    model, record = zoo.train_fashion_cnn(zoo.make_recipe(**overrides))
    path.parent.mkdir(parents=True, exist_ok=True)
    checkpoints.save(model, path, **record)  # where zoo.fashion_cnn() will look for it
    result = {
        "benchmark": "fmnist_cnn",
        "test_accuracy": round(record["test_accuracy"], 4),
        "train_seconds": round(record["train_seconds"], 1),
        "cpu_seconds": round(record["cpu_seconds"], 1),
        "epoch_seconds": [round(s, 1) for s in record["history"]["seconds"]],
        "train_loss": [round(v, 4) for v in record["history"]["train_loss"]],
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "checks": [check("test accuracy", round(record["test_accuracy"], 4), ">=", TARGET_ACCURACY),
                   check("training seconds", round(record["train_seconds"], 1), "<=", BUDGET_SECONDS)],
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in record["load_average"]],
        "cpu_count": os.cpu_count(),
        "torch_threads": record["threads"],
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "torch": str(torch.__version__),
        "recipe": json.loads(record["recipe"]),
        "checkpoint": str(path),
        "dry_run": args.dry_run,
    }
    text = json.dumps(result, indent=2)
    print(text)
    if not args.dry_run:
        RESULT.parent.mkdir(parents=True, exist_ok=True)
        RESULT.write_text(text + "\n")
    return result


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
