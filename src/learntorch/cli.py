"""The ``learntorch`` command: train the course's Fashion-MNIST classifier, evaluate a checkpoint.

    learntorch train fashion-mnist --epochs 8 --out model.pt
    learntorch evaluate model.pt --json

The CLI sits on top of the library (``recipes``, ``data``, ``training``, ``checkpoints``) and
adds only argument parsing and printing. Bad arguments and unreadable files end with an
argparse-style message on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import time
from dataclasses import replace

import torch

from learntorch import checkpoints, data
from learntorch.recipes import FashionRecipe, train
from learntorch.training import evaluate

DATASETS = {"fashion-mnist": (data.fashion_mnist, data.FASHION_MNIST_STATS)}
DRY_RUN_BATCHES = 5  # per epoch, with --dry-run


def _number(cast, accept, expected: str):
    """An argparse ``type=`` that converts with ``cast`` and rejects values ``accept`` refuses."""
    def parse(text: str):
        try:
            value = cast(text)
        except ValueError:
            value = None
        if value is None or not accept(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value
    return parse


_positive_int = _number(int, lambda v: v >= 1, "a positive integer")
_non_negative_int = _number(int, lambda v: v >= 0, "an integer >= 0")
_positive_float = _number(float, lambda v: math.isfinite(v) and v > 0, "a positive number")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``learntorch`` command, with its two subcommands.

    Examples:
        >>> args = build_parser().parse_args(["train", "fashion-mnist", "--epochs", "2"])
        >>> args.command, args.dataset, args.epochs, args.batch_size == FashionRecipe().batch_size
        ('train', 'fashion-mnist', 2, True)
    """
    recipe = FashionRecipe()
    parser = argparse.ArgumentParser(prog="learntorch", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    tr = commands.add_parser("train", help="train the tuned MLP recipe on a dataset",
                             description="Train the tuned Fashion-MNIST MLP (learntorch.recipes."
                                         "FashionRecipe) on in-memory tensors and report test accuracy.")
    tr.add_argument("dataset", choices=sorted(DATASETS), help="the dataset to train on")
    tr.add_argument("--epochs", type=_positive_int, default=recipe.epochs,
                    help=f"passes over the training set (default: {recipe.epochs})")
    tr.add_argument("--batch-size", type=_positive_int, default=recipe.batch_size,
                    help=f"images per batch (default: {recipe.batch_size})")
    tr.add_argument("--lr", type=_positive_float, default=recipe.lr,
                    help=f"peak learning rate of the one-cycle schedule (default: {recipe.lr})")
    tr.add_argument("--seed", type=_non_negative_int, default=recipe.seed,
                    help=f"random seed for weights, dropout and batch order (default: {recipe.seed})")
    tr.add_argument("--out", metavar="PATH", default=None,
                    help="save the trained model as a learntorch checkpoint here (default: don't save)")
    tr.add_argument("--json", action="store_true",
                    help="print one JSON object instead of a summary (default: off)")
    tr.add_argument("--device", choices=["cpu", "cuda"], default=None,
                    help="where to train (default: cuda when available, else cpu)")
    tr.add_argument("--dry-run", action="store_true",
                    help=f"one epoch of {DRY_RUN_BATCHES} batches, to check the setup quickly (default: off)")
    tr.set_defaults(run=run_train, command_parser=tr)

    ev = commands.add_parser("evaluate", help="report a saved model's test accuracy",
                             description="Load a learntorch checkpoint and evaluate it on its "
                                         "dataset's test set.")
    ev.add_argument("checkpoint", help="a file written by `learntorch train --out` or checkpoints.save")
    ev.add_argument("--json", action="store_true",
                    help="print one JSON object instead of a summary (default: off)")
    ev.add_argument("--device", choices=["cpu", "cuda"], default=None,
                    help="where to evaluate (default: cuda when available, else cpu)")
    ev.set_defaults(run=run_evaluate, command_parser=ev)
    return parser


def _device(name: str | None, parser: argparse.ArgumentParser) -> torch.device:
    if name == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: no CUDA GPU is available here; use --device cpu")
    return torch.device(name or ("cuda" if torch.cuda.is_available() else "cpu"))


def _test_set(dataset: str, stats) -> tuple[data.TensorLoader, str]:
    """The test images of ``dataset`` in batches of 1,000, and where they came from."""
    loader_fn, _ = DATASETS[dataset]
    test = loader_fn(train=False)
    x, y = data.as_tensors(test, *stats)
    return data.TensorLoader(x, y, batch_size=1000), test.source


def peak_memory_mb(device: torch.device) -> float:
    """The process's peak resident memory in MB (plus the GPU's peak allocation on CUDA).

    Examples:
        >>> peak_memory_mb(torch.device("cpu")) > 0
        True
    """
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    if device.type == "cuda":
        peak += torch.cuda.max_memory_allocated(device) / 2**20
    return round(peak, 1)


def run_train(args, parser) -> dict:
    """Train as ``args`` asks; return the report (also saving the model with ``--out``).

    Examples:
        >>> parser = build_parser()
        >>> report = run_train(parser.parse_args(["train", "fashion-mnist", "--dry-run"]), parser)
        >>> report["epochs"], 0 <= report["test_accuracy"] <= 1
        (1, True)
    """
    device = _device(args.device, parser)
    if args.out and not os.path.isdir(os.path.dirname(os.path.abspath(args.out))):
        parser.error(f"--out {args.out}: folder {os.path.dirname(os.path.abspath(args.out))} does not exist")
    loader_fn, stats = DATASETS[args.dataset]
    recipe = replace(FashionRecipe(), epochs=1 if args.dry_run else args.epochs,
                     batch_size=args.batch_size, lr=args.lr, seed=args.seed)
    train_set = loader_fn(train=True)
    x, y = data.as_tensors(train_set, *stats)
    cpu_start = time.process_time()
    model, history = train(recipe, x, y, device, max_batches=DRY_RUN_BATCHES if args.dry_run else None)
    cpu_seconds = time.process_time() - cpu_start
    test_loader, _ = _test_set(args.dataset, stats)
    test = evaluate(model, test_loader, device)
    report = {
        "dataset": args.dataset, "test_accuracy": round(test["accuracy"], 4),
        "test_loss": round(test["loss"], 4), "train_seconds": round(sum(history["seconds"]), 2),
        "train_cpu_seconds": round(cpu_seconds, 2), "epochs": recipe.epochs,
        "train_loss": [round(v, 4) for v in history["train_loss"]],
        "recipe": recipe.to_dict(), "dry_run": args.dry_run, "data_source": train_set.source,
        "peak_memory_mb": peak_memory_mb(device), "device": str(device),
        "torch_version": torch.__version__, "threads": torch.get_num_threads(),
        "load_average": [round(v, 2) for v in os.getloadavg()], "out": args.out,
    }
    if args.out:
        checkpoints.save(model, args.out, dataset=args.dataset, normalize=list(stats),
                         test_accuracy=report["test_accuracy"], recipe=report["recipe"],
                         data_source=train_set.source)
    return report


def run_evaluate(args, parser) -> dict:
    """Evaluate the checkpoint ``args.checkpoint`` on its dataset's test set.

    Examples:
        >>> import tempfile, pathlib
        >>> path = str(pathlib.Path(tempfile.mkdtemp()) / "model.pt")
        >>> parser = build_parser()
        >>> _ = run_train(parser.parse_args(["train", "fashion-mnist", "--dry-run", "--out", path]), parser)
        >>> report = run_evaluate(parser.parse_args(["evaluate", path]), parser)
        >>> report["model_class"], 0 <= report["test_accuracy"] <= 1
        ('MLP', True)
    """
    device = _device(args.device, parser)
    try:
        model = checkpoints.load(args.checkpoint, device=device)
    except (FileNotFoundError, ValueError) as err:
        parser.error(str(err))
    metadata = checkpoints.read(args.checkpoint)["metadata"]
    dataset = metadata.get("dataset", "fashion-mnist")
    if dataset not in DATASETS:
        parser.error(f"{args.checkpoint} was trained on {dataset!r}; evaluate knows {sorted(DATASETS)}")
    stats = metadata.get("normalize", DATASETS[dataset][1])
    test_loader, source = _test_set(dataset, stats)
    test = evaluate(model, test_loader, device)
    return {"checkpoint": str(args.checkpoint), "dataset": dataset, "model_class": type(model).__name__,
            "config": model.config, "test_accuracy": round(test["accuracy"], 4),
            "test_loss": round(test["loss"], 4), "data_source": source, "device": str(device),
            "torch_version": torch.__version__}


def print_summary(report: dict) -> None:
    """The human-readable form of a train or evaluate report.

    Examples:
        >>> print_summary({"checkpoint": "model.pt", "model_class": "MLP", "config": {"hidden": [8]},
        ...                "data_source": "test files", "test_accuracy": 0.9, "test_loss": 0.3})
        model.pt: MLP {'hidden': [8]}
        data: test files
        test accuracy: 90.00 %   test loss: 0.3000
    """
    if "recipe" in report:
        r = report["recipe"]
        sizes = "-".join(map(str, [784, *r["hidden"], 10]))
        print(f"trained MLP {sizes} on {report['dataset']} for {report['epochs']} epoch(s), batch "
              f"{r['batch_size']}, Adam + one-cycle (peak lr {r['lr']}) on {report['device']}"
              + (" [dry run]" if report["dry_run"] else ""))
        for epoch, loss in enumerate(report["train_loss"], 1):
            print(f"  epoch {epoch}: training loss {loss:.4f}")
        print(f"training time: {report['train_seconds']:.1f} s   peak memory: {report['peak_memory_mb']:.0f} MB")
    else:
        print(f"{report['checkpoint']}: {report['model_class']} {report['config']}")
    print(f"data: {report['data_source']}")
    print(f"test accuracy: {100 * report['test_accuracy']:.2f} %   test loss: {report['test_loss']:.4f}")
    if report.get("out"):
        print(f"saved to {report['out']}")


def main(argv: list[str] | None = None) -> int:
    """Run the ``learntorch`` command with ``argv`` (default: ``sys.argv[1:]``); return the exit code.

    Examples:
        >>> main(["evaluate", "no-such-file.pt"])  # the message goes to stderr, argparse-style
        Traceback (most recent call last):
        SystemExit: 2
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        report = args.run(args, args.command_parser)  # errors are named after the subcommand
    except (FileNotFoundError, ValueError) as err:  # e.g. no dataset on this machine
        args.command_parser.error(str(err))
    if args.json:
        print(json.dumps(report))
    else:
        print_summary(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
