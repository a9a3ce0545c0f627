"""The ``learntorch`` command: train the course's Fashion-MNIST classifier, evaluate, export and serve it.

    learntorch train fashion-mnist --epochs 8 --out model.pt
    learntorch evaluate model.pt --json
    learntorch export model.pt --format onnx --out model.onnx
    learntorch predict model.onnx shirt.png boot.png --json
    torchrun --standalone --nproc-per-node=2 -m learntorch.cli train fashion-mnist

The CLI sits on top of the library (``recipes``, ``data``, ``training``, ``checkpoints``) and
adds only argument parsing and printing. Each subcommand is an ``add_*`` function that declares
its arguments and a ``run_*`` function that imports the library inside it: torch and torchvision
take seconds to import, and ``learntorch --help`` or a mistyped option should answer at once.

Failures never end in a traceback: bad arguments, unreadable files and failed runs print one
line on stderr (``learntorch train: error: ...``) and exit with status 2; with ``--json`` the
same error is also printed on stdout as a JSON object. Ctrl-C prints one line and exits with 130.
Every JSON document printed is strict JSON (no ``NaN``): a value that is not finite is ``null``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from learntorch import __version__

DATASETS = ("fashion-mnist",)
DRY_RUN_BATCHES = 5  # per epoch, with --dry-run
# FashionRecipe's defaults, repeated here so that --help answers without importing torch;
# tests/test_cli.py checks that they equal learntorch.recipes.FashionRecipe()'s.
RECIPE_DEFAULTS = {"epochs": 9, "batch_size": 256, "lr": 0.003, "seed": 0}
EXIT_ERROR, EXIT_INTERRUPTED = 2, 130  # argparse's status for errors; 128 + SIGINT, as shells use


class UsageError(Exception):
    """A bad argument: reported with the subcommand's usage line, argparse-style.

    Examples:
        >>> str(UsageError(build_parser(), "argument --epochs: expected a positive integer"))
        'argument --epochs: expected a positive integer'
    """

    def __init__(self, parser: argparse.ArgumentParser, message: str):
        super().__init__(message)
        self.parser = parser


class CommandError(Exception):
    """A run that failed after its arguments were accepted; ``details`` go into the JSON error.

    Examples:
        >>> CommandError("could not save", saved_to="rescued.pt").details
        {'saved_to': 'rescued.pt'}
    """

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.details = details


class _Parser(argparse.ArgumentParser):
    """argparse's parser, raising its errors so that ``main`` can also report them as JSON."""

    def error(self, message):
        raise UsageError(self, message)


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
    """The argument parser of the ``learntorch`` command, with one subparser per subcommand.

    Examples:
        >>> args = build_parser().parse_args(["train", "fashion-mnist", "--epochs", "2"])
        >>> args.command, args.dataset, args.epochs, args.batch_size == RECIPE_DEFAULTS["batch_size"]
        ('train', 'fashion-mnist', 2, True)
    """
    parser = _Parser(prog="learntorch", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"learntorch {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_train(commands)
    add_evaluate(commands)
    add_export(commands)
    add_predict(commands)
    return parser


def add_train(commands) -> None:
    """Declare ``learntorch train`` and its options on ``commands`` (the subparsers object).

    Examples:
        >>> build_parser().parse_args(["train", "fashion-mnist", "--lr", "0.01"]).lr
        0.01
    """
    d = RECIPE_DEFAULTS
    tr = commands.add_parser("train", help="train the tuned MLP recipe on a dataset",
                             description="Train the tuned Fashion-MNIST MLP (learntorch.recipes."
                                         "FashionRecipe) on in-memory tensors and report test accuracy.")
    tr.add_argument("dataset", choices=DATASETS, help="the dataset to train on")
    tr.add_argument("--epochs", type=_positive_int, default=d["epochs"],
                    help=f"passes over the training set (default: {d['epochs']})")
    tr.add_argument("--batch-size", type=_positive_int, default=d["batch_size"],
                    help=f"images per batch (default: {d['batch_size']})")
    tr.add_argument("--lr", type=_positive_float, default=d["lr"],
                    help=f"peak learning rate of the one-cycle schedule (default: {d['lr']})")
    tr.add_argument("--seed", type=_non_negative_int, default=d["seed"],
                    help=f"random seed for weights, dropout and batch order (default: {d['seed']})")
    tr.add_argument("--out", metavar="PATH", default=None,
                    help="save the trained model as a learntorch checkpoint here; checked before "
                         "training starts (default: don't save)")
    tr.add_argument("--json", action="store_true",
                    help="print one JSON object instead of a summary (default: off)")
    tr.add_argument("--device", default=None,
                    help="where to train: cpu, or the machine's accelerator such as cuda, mps or xpu "
                         "(default: the accelerator when there is one, else cpu)")
    tr.add_argument("--dry-run", action="store_true",
                    help=f"one epoch of {DRY_RUN_BATCHES} batches, to check the setup quickly (default: off)")
    tr.set_defaults(run=run_train, command_parser=tr)


def add_evaluate(commands) -> None:
    """Declare ``learntorch evaluate`` and its options on ``commands``.

    Examples:
        >>> build_parser().parse_args(["evaluate", "model.pt", "--json"]).json
        True
    """
    ev = commands.add_parser("evaluate", help="report a saved model's test accuracy",
                             description="Load a learntorch checkpoint and evaluate it on its "
                                         "dataset's test set.")
    ev.add_argument("checkpoint", help="a file written by `learntorch train --out` or checkpoints.save")
    ev.add_argument("--json", action="store_true",
                    help="print one JSON object instead of a summary (default: off)")
    ev.add_argument("--device", default=None,
                    help="where to evaluate: cpu, or the machine's accelerator such as cuda, mps or xpu "
                         "(default: the accelerator when there is one, else cpu)")
    ev.set_defaults(run=run_evaluate, command_parser=ev)


def add_export(commands) -> None:
    """Declare ``learntorch export`` and its options on ``commands``.

    Examples:
        >>> args = build_parser().parse_args(["export", "model.pt", "--format", "onnx", "--out", "m.onnx"])
        >>> args.command, args.format, args.out
        ('export', 'onnx', 'm.onnx')
    """
    ex = commands.add_parser("export", help="export a checkpoint with torch.export or to ONNX",
                             description="Export a learntorch checkpoint, with its preprocessing and "
                                         "class names, as a torch.export program (.pt2) or an ONNX "
                                         "model (.onnx) that takes raw 28x28 grey images.")
    ex.add_argument("checkpoint", help="a file written by `learntorch train --out` or checkpoints.save")
    ex.add_argument("--format", required=True, choices=["torch-export", "onnx"],
                    help="torch-export: a .pt2 file PyTorch runs; onnx: a .onnx file ONNX Runtime runs")
    ex.add_argument("--out", required=True, metavar="FILE", help="the file to write")
    ex.add_argument("--json", action="store_true",
                    help="print one JSON object instead of a summary (default: off)")
    ex.set_defaults(run=run_export, command_parser=ex, summary=print_export)


def add_predict(commands) -> None:
    """Declare ``learntorch predict`` and its options on ``commands``.

    Examples:
        >>> build_parser().parse_args(["predict", "model.onnx", "a.png", "b.png"]).images
        ['a.png', 'b.png']
    """
    pr = commands.add_parser("predict", help="classify image files with a saved or exported model",
                             description="Classify 28x28 grey image files with a learntorch checkpoint, "
                                         "a torch.export program (.pt2) or an ONNX model: the class and "
                                         "its probability for each image.")
    pr.add_argument("model", help="a checkpoint, or a file written by `learntorch export`")
    pr.add_argument("images", nargs="+", metavar="IMAGE", help="image files (grey, 28x28 pixels)")
    pr.add_argument("--json", action="store_true",
                    help="print one JSON object instead of one line per image (default: off)")
    pr.set_defaults(run=run_predict, command_parser=pr, summary=print_predictions)


# --- Helpers the subcommands share (each imports torch only when called) -----------------------


def _device(name: str | None, parser: argparse.ArgumentParser):
    """The device ``--device`` names, checked against this machine; its accelerator by default."""
    import torch

    from learntorch.training import default_device

    if name is None:
        return default_device()
    try:
        device = torch.device(name)
    except RuntimeError:
        parser.error(f"--device {name}: not a device name; use cpu or an accelerator such as cuda, mps or xpu")
    accelerator = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else None
    if device.type != "cpu" and (accelerator is None or device.type != accelerator.type):
        have = f"cpu and {accelerator.type}" if accelerator is not None else "only cpu"
        use = f"--device cpu or --device {accelerator.type}" if accelerator is not None else "--device cpu"
        parser.error(f"--device {name}: this machine has no {device.type} device (it has {have}); use {use}")
    return device


def _dataset(name: str):
    """``(loader function, (mean, std))`` of a dataset in :data:`DATASETS`."""
    from learntorch import data

    return {"fashion-mnist": (data.fashion_mnist, data.FASHION_MNIST_STATS)}[name]


def _test_set(dataset: str, stats):
    """The test images of ``dataset`` in batches of 1,000, and where they came from."""
    from learntorch import data

    loader_fn, _ = _dataset(dataset)
    test = loader_fn(train=False)
    x, y = data.as_tensors(test, *stats)
    return data.TensorLoader(x, y, batch_size=1000), test.source


def peak_memory_mb(device) -> float:
    """The process's peak resident memory in MB (plus the accelerator's peak allocation on one).

    Examples:
        >>> peak_memory_mb("cpu") > 0
        True
    """
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    if not str(device).startswith("cpu"):
        import torch

        if hasattr(torch.accelerator, "max_memory_allocated"):  # torch >= 2.8 (older: not counted)
            peak += torch.accelerator.max_memory_allocated(device) / 2**20
    return round(peak, 1)


def finite_or_null(value):
    """``value`` with every NaN or infinity replaced by None, so ``json.dumps`` writes strict JSON.

    Examples:
        >>> finite_or_null({"loss": float("nan"), "history": [0.5, float("inf")], "epochs": 2})
        {'loss': None, 'history': [0.5, None], 'epochs': 2}
    """
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite_or_null(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_null(v) for v in value]
    return value


def _save_or_rescue(model, out: Path, **metadata) -> None:
    """Save to ``out``; if that fails after training, save under a clearly named file instead."""
    from learntorch import checkpoints

    try:
        checkpoints.save(model, out, **metadata)
        return
    except (OSError, ValueError) as err:
        reason = err
    name = f"learntorch-rescued-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.pt"
    for folder in (Path.cwd(), Path(tempfile.gettempdir())):
        try:
            rescued = checkpoints.save(model, folder / name, **metadata)
        except (OSError, ValueError):
            continue
        raise CommandError(f"the trained model could not be saved to {out} ({reason}); it was saved "
                           f"to {rescued} instead: move it where you want it", saved_to=str(rescued))
    raise CommandError(f"the trained model could not be saved to {out} ({reason}), nor to the current "
                       "folder or the temporary folder; it is lost. Free some space and train again")


# --- Subcommands ---------------------------------------------------------------------------------


def run_train(args, parser) -> dict:
    """Train as ``args`` asks; return the report (also saving the model with ``--out``).

    ``--out`` is checked before any data is loaded: a folder, a missing or read-only folder or
    a full disk stops the command at once instead of after training.

    Under ``torchrun`` every process trains on its part of the data (``--batch-size`` is per
    process) and only rank 0 saves; ``main`` prints rank 0's report only.

    Examples:
        >>> parser = build_parser()
        >>> report = run_train(parser.parse_args(["train", "fashion-mnist", "--dry-run"]), parser)
        >>> report["epochs"], 0 <= report["test_accuracy"] <= 1
        (1, True)
    """
    import torch

    from learntorch import _files, data
    from learntorch.recipes import FashionRecipe, train
    from learntorch.training import TrainingDiverged, evaluate, init_distributed

    rank, world_size = init_distributed()  # under torchrun: join the other processes
    device = _device(args.device, parser)
    recipe = FashionRecipe(epochs=1 if args.dry_run else args.epochs, batch_size=args.batch_size,
                           lr=args.lr, seed=args.seed)
    if args.out:
        size = sum(p.numel() * p.element_size() for p in recipe.model().parameters()) + 2**16
        try:
            _files.check_writable(args.out, size, what=f"--out {args.out}")
        except OSError as err:
            parser.error(str(err))
    loader_fn, stats = _dataset(args.dataset)
    train_set = loader_fn(train=True)
    x, y = data.as_tensors(train_set, *stats)
    cpu_start = time.process_time()
    try:
        model, history = train(recipe, x, y, device, max_batches=DRY_RUN_BATCHES if args.dry_run else None)
    except TrainingDiverged as err:
        raise CommandError(f"training diverged: {err.what} with --lr {args.lr:g}; lower --lr (the "
                           f"default is {RECIPE_DEFAULTS['lr']})") from None
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
        "processes": world_size, "rank": rank,
    }
    if args.out:  # under torchrun, only rank 0 writes
        _save_or_rescue(model, Path(args.out), dataset=args.dataset, normalize=list(stats),
                        test_accuracy=finite_or_null(report["test_accuracy"]), recipe=report["recipe"],
                        data_source=train_set.source)
    return report


def _normalize_stats(metadata: dict, default) -> list | None:
    """The checkpoint's ``normalize`` metadata as ``[mean, std]``, or None when it is malformed."""
    stats = metadata.get("normalize", list(default))
    ok = (isinstance(stats, (list, tuple)) and len(stats) == 2
          and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in stats)
          and stats[1] > 0)
    return list(stats) if ok else None


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
    import torch

    from learntorch import checkpoints, data
    from learntorch.training import evaluate

    device = _device(args.device, parser)
    name = args.checkpoint
    try:
        model = checkpoints.load(name, device=device)
        metadata = checkpoints.read(name)["metadata"]
    except (FileNotFoundError, ValueError) as err:
        parser.error(str(err))
    dataset = metadata.get("dataset", "fashion-mnist")
    if dataset not in DATASETS:
        parser.error(f"{name} was trained on {dataset!r}; evaluate knows {', '.join(DATASETS)}")
    stats = _normalize_stats(metadata, _dataset(dataset)[1])
    if stats is None:
        parser.error(f"{name}: its metadata 'normalize' must be [mean, std] with std > 0, "
                     f"got {metadata.get('normalize')!r}; save it again with normalize=[mean, std]")
    classes = len(data.FASHION_MNIST_CLASSES)
    outputs = model.config.get("out_features")
    if outputs != classes:
        parser.error(f"{name} gives {outputs} outputs but {dataset} has {classes} classes; it was "
                     "trained for another task")
    test_loader, source = _test_set(dataset, stats)
    try:
        test = evaluate(model, test_loader, device)
    except ValueError as err:  # e.g. an MLP made for other inputs than 28 x 28 images
        parser.error(f"{name} does not fit {dataset}'s images: {err}")
    return {"checkpoint": str(name), "dataset": dataset, "model_class": type(model).__name__,
            "config": model.config, "test_accuracy": round(test["accuracy"], 4),
            "test_loss": round(test["loss"], 4), "data_source": source, "device": str(device),
            "torch_version": torch.__version__}


def run_export(args, parser) -> dict:
    """Export the checkpoint ``args.checkpoint`` in ``args.format`` to ``args.out``; return the report.

    The written file is loaded back and checked against the checkpoint on a few random images.

    Examples:
        >>> import tempfile
        >>> from learntorch import checkpoints
        >>> from learntorch.models import MLP
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = checkpoints.save(MLP(784, (8,), 10), folder / "m.pt")
        >>> parser = build_parser()
        >>> args = parser.parse_args(["export", str(folder / "m.pt"), "--format", "torch-export",
        ...                           "--out", str(folder / "m.pt2")])
        >>> report = run_export(args, parser)
        >>> report["format"], report["max_difference"] < 1e-5
        ('torch-export', True)
    """
    import torch

    from learntorch import export

    out = os.path.abspath(args.out)
    if not os.path.isdir(os.path.dirname(out)):
        parser.error(f"--out {args.out}: folder {os.path.dirname(out)} does not exist")
    if export.file_kind(args.checkpoint) != "checkpoint":  # FileNotFoundError when missing
        parser.error(f"{args.checkpoint} is not a learntorch checkpoint (a zip archive written by "
                     "torch.save); export takes a file written by `learntorch train --out` or checkpoints.save")
    deployable = export.Deployable.from_checkpoint(args.checkpoint)  # ValueError: a clear message
    try:
        save = export.save_program if args.format == "torch-export" else export.save_onnx
        save(deployable, args.out)
    except ImportError as err:  # ONNX without the deploy extra
        parser.error(str(err))
    predictor = export.load_predictor(args.out)
    images = torch.randint(0, 256, (8, deployable.image_size, deployable.image_size), dtype=torch.uint8,
                           generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        difference = (predictor(images) - deployable(images)).abs().max().item()
    return {"checkpoint": str(args.checkpoint), "format": args.format, "out": str(args.out),
            "bytes": os.path.getsize(args.out), "model_class": type(deployable.model).__name__,
            "classes": deployable.classes, "max_difference": difference}


def run_predict(args, parser) -> dict:
    """Classify the image files ``args.images`` with the model in ``args.model``; return the report.

    Examples:
        >>> import tempfile
        >>> from PIL import Image
        >>> from learntorch import checkpoints
        >>> from learntorch.models import MLP
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = checkpoints.save(MLP(784, (8,), 10), folder / "m.pt")
        >>> Image.new("L", (28, 28)).save(folder / "black.png")
        >>> parser = build_parser()
        >>> report = run_predict(parser.parse_args(["predict", str(folder / "m.pt"), str(folder / "black.png")]), parser)
        >>> report["kind"], len(report["predictions"])
        ('checkpoint', 1)
    """
    from learntorch import export

    try:
        predictor = export.load_predictor(args.model)
    except ImportError as err:  # an ONNX file without the deploy extra
        parser.error(str(err))
    images = export.read_images(args.images, predictor.image_size)
    probabilities = predictor(images)
    best, index = probabilities.max(dim=1)
    predictions = [{"image": str(path), "class": predictor.classes[i], "index": i, "probability": round(p, 4)}
                   for path, i, p in zip(args.images, index.tolist(), best.tolist())]
    return {"model": str(args.model), "kind": predictor.kind, "predictions": predictions}


def print_export(report: dict) -> None:
    """The human-readable form of an export report.

    Examples:
        >>> print_export({"checkpoint": "m.pt", "model_class": "CNN", "format": "onnx", "out": "m.onnx",
        ...               "bytes": 420000, "max_difference": 2e-8})
        exported m.pt (CNN) as onnx to m.onnx (420 kB)
        largest difference from the checkpoint on 8 random images: 2.0e-08
    """
    print(f"exported {report['checkpoint']} ({report['model_class']}) as {report['format']} to "
          f"{report['out']} ({report['bytes'] / 1000:.0f} kB)")
    print(f"largest difference from the checkpoint on 8 random images: {report['max_difference']:.1e}")


def print_predictions(report: dict) -> None:
    """One line per image: its file, the predicted class and that class's probability.

    Examples:
        >>> print_predictions({"predictions": [{"image": "boot.png", "class": "Ankle boot", "probability": 0.97}]})
        boot.png: Ankle boot (0.97)
    """
    for p in report["predictions"]:
        print(f"{p['image']}: {p['class']} ({p['probability']:.2f})")


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


def _fail(prog: str, message: str, as_json: bool, status: int = EXIT_ERROR, usage: str = "", **details):
    """Report a failure as one line on stderr (and a JSON object on stdout), then exit."""
    if as_json:
        print(json.dumps(finite_or_null({"error": message, "command": prog, "exit_status": status,
                                         **details}), allow_nan=False))
    sys.stderr.write(f"{usage}{prog}: error: {message}\n" if status == EXIT_ERROR else f"{prog}: {message}\n")
    raise SystemExit(status)


def main(argv: list[str] | None = None) -> int:
    """Run the ``learntorch`` command with ``argv`` (default: ``sys.argv[1:]``); return the exit code.

    Failures raise ``SystemExit`` with status 2 (130 on Ctrl-C), after one line on stderr.

    Examples:
        >>> main(["evaluate", "no-such-file.pt"])  # the message goes to stderr, argparse-style
        Traceback (most recent call last):
        SystemExit: 2
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    as_json = "--json" in argv  # known even when parsing fails
    parser = build_parser()
    prog = parser.prog
    try:
        args = parser.parse_args(argv)
        prog = args.command_parser.prog  # errors are named after the subcommand
        report = args.run(args, args.command_parser)
    except UsageError as err:
        _fail(err.parser.prog, str(err), as_json, usage=err.parser.format_usage())
    except KeyboardInterrupt:
        _fail(prog, "interrupted (Ctrl-C); nothing was saved", as_json, status=EXIT_INTERRUPTED)
    except CommandError as err:
        _fail(prog, str(err), as_json, **err.details)
    except (OSError, ValueError) as err:  # e.g. no dataset on this machine, a damaged data file
        _fail(prog, str(err), as_json)
    if report.get("rank", 0) != 0:  # under torchrun, rank 0 reports for all processes
        return 0
    if args.json:
        print(json.dumps(finite_or_null(report), allow_nan=False))
    else:
        getattr(args, "summary", print_summary)(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
