"""Deploy and scale: inference latency of eager PyTorch, a torch.export program and ONNX Runtime,
and training throughput on one process and on two (torchrun + DDP).

Latency: the Fashion-MNIST CNN of the zoo recipe and the tuned MLP (untrained: the time does not
depend on the weights), wrapped with their preprocessing (learntorch.export.Deployable), on
one thread each, per image (batch 1) and per batch of 32 and of 256; each figure is the median of many
calls after a warm-up. Training: learntorch.fit on 12,000 Fashion-MNIST images, one process
with batches of 64 and two processes with 32 each (the same global batch), one thread per
process. Two processes on a two-core machine are a correctness demonstration, not a speed-up:
the model is small and the processes exchange gradients after every step.

Targets: the exported program and ONNX Runtime give the eager model's outputs (within 1e-6
and 1e-5), and the two processes end with identical parameters after training on disjoint
parts of the data. Writes benchmarks/results/deploy.json.

    python benchmarks/deploy.py
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import cpu_model  # benchmarks/machine.py
from targets import check  # benchmarks/targets.py

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "benchmarks" / "results" / "deploy.json"


def median_seconds(run, images, repeats: int) -> float:
    run(images)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run(images)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def latencies(name: str, deployable, folder: Path) -> dict:
    """Per-image and per-batch latency of the three runtimes, and how far their outputs differ."""
    import onnxruntime as ort
    import torch

    from learntorch import export

    export.save_program(deployable, folder / f"{name}.pt2")
    export.save_onnx(deployable, folder / f"{name}.onnx")
    program, _ = export.load_program(folder / f"{name}.pt2")
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1  # as torch below
    session = ort.InferenceSession(str(folder / f"{name}.onnx"), options, providers=["CPUExecutionProvider"])
    runtimes = {
        "eager": deployable,
        "torch_export": program.module(),
        "onnx_runtime": lambda images: session.run(None, {"images": images.numpy()})[0],
    }
    images = torch.randint(0, 256, (256, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    result = {}
    with torch.no_grad():
        reference = deployable(images)
        for runtime, run in runtimes.items():
            single = median_seconds(run, images[:1], 300)
            small = median_seconds(run, images[:32], 100)
            batch = median_seconds(run, images, 30)
            result[runtime] = {
                "batch_1_ms": round(single * 1e3, 3),
                "batch_32_ms": round(small * 1e3, 2),
                "per_image_in_batch_32_us": round(small / 32 * 1e6, 1),
                "batch_256_ms": round(batch * 1e3, 2),
                "per_image_in_batch_256_us": round(batch / 256 * 1e6, 1),
                "max_difference_from_eager": float((torch.as_tensor(run(images)) - reference).abs().max()),
            }
    return result


def training(processes: int, batch_size: int, folder: Path) -> dict:
    """learntorch.fit on `processes` torchrun workers (one thread each); rank 0's report."""
    out = folder / f"train-{processes}.json"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}",
               str(ROOT / "benchmarks" / "ddp_worker.py"), str(out), "--batch-size", str(batch_size)]
    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    if result.returncode != 0:
        sys.exit(f"torchrun with {processes} processes failed:\n{result.stderr[-4000:]}")
    return json.loads(out.read_text())


def main() -> None:
    import torch

    from learntorch import data, zoo
    from learntorch.export import Deployable
    from learntorch.models import CNN
    from learntorch.recipes import FashionRecipe

    torch.set_num_threads(1)
    load_before = os.getloadavg()
    recipe = zoo.FASHION_CNN_RECIPE
    torch.manual_seed(0)
    models = {
        "cnn": CNN(1, recipe["channels"], 28, hidden=recipe["hidden"], out_features=10, dropout=recipe["dropout"]),
        "mlp": FashionRecipe().model(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        latency = {name: latencies(name, Deployable(model, *data.FASHION_MNIST_STATS, data.FASHION_MNIST_CLASSES),
                                   folder)
                   for name, model in models.items()}
        one = training(1, 64, folder)
        two = training(2, 32, folder)

    checks = []
    for name, runtimes in latency.items():
        checks.append(check(f"{name}: torch.export program vs eager, largest output difference",
                            runtimes["torch_export"]["max_difference_from_eager"], "<=", 1e-6))
        checks.append(check(f"{name}: ONNX Runtime vs eager, largest output difference",
                            runtimes["onnx_runtime"]["max_difference_from_eager"], "<=", 1e-5))
    checks.append(check("2 processes: identical parameters on both ranks after training",
                        two["identical_parameters"], "==", True))
    checks.append(check("2 processes: each epoch split into disjoint parts covering the data",
                        two["disjoint_cover"], "==", True))
    report = {
        "latency": latency,
        "latency_note": "one thread per runtime; median of 300 calls (batch 1), 100 (batch 32) or 30 (batch 256) "
                        "after a warm-up; "
                        "untrained models (time does not depend on the weights), preprocessing included",
        "training": {"one_process": one, "two_processes": two,
                     "speed_up": round(two["samples_per_second"] / one["samples_per_second"], 2)},
        "training_note": "2 processes on 2 cores are a correctness demonstration, not a speed-up: a small MLP, "
                         "gradients exchanged after every step of 32 images per process",
        "checks": checks,
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version(),
                    "torch": torch.__version__, "onnxruntime": __import__("onnxruntime").__version__,
                    "load_average_before": [round(v, 2) for v in load_before],
                    "load_average_after": [round(v, 2) for v in os.getloadavg()]},
    }
    RESULT.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
