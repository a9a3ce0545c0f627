"""Fault suite, the ``learntorch`` command: every bad argument, file or run ends in one error line
naming the culprit and exit status 2 (130 for Ctrl-C), never a traceback; with ``--json`` the
error is also a strict JSON object on stdout.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys

import pytest
import torch
from faults import full_dir, read_only_dir  # noqa: F401  (fixtures)
from torch import nn

from learntorch import checkpoints, cli
from learntorch.models import CNN, MLP

NO_GPU = not torch.cuda.is_available()


def strict_json(text: str):
    """json.loads that refuses NaN and Infinity, as strict JSON parsers do."""
    def refuse(constant):
        raise ValueError(f"not strict JSON: {constant}")
    return json.loads(text, parse_constant=refuse)




def checkpoint(tmp, model=None, name="m.pt", **metadata):
    torch.manual_seed(0)
    model = model if model is not None else MLP(784, (8,), 10)
    return str(checkpoints.save(model, tmp / name, **{"dataset": "fashion-mnist", **metadata}))


def raw_file(tmp, name, content: bytes):
    (tmp / name).write_bytes(content)
    return str(tmp / name)


def torch_file(tmp, name, obj):
    torch.save(obj, tmp / name)
    return str(tmp / name)


class Payload:
    def __reduce__(self):
        return os.system, ("touch PWNED",)


def tampered(tmp, change):
    path = checkpoint(tmp)
    saved = checkpoints.read(path)
    change(saved)
    torch.save(saved, path)
    return path


T = ["train", "fashion-mnist"]
CASES = [  # (id, argv from tmp_path, a regex the error line must match)
    ("no-command", lambda t: [], r"learntorch: error: the following arguments are required: COMMAND"),
    ("unknown-command", lambda t: ["fit"], r"learntorch: error: argument COMMAND: invalid choice: 'fit'"),
    ("unknown-dataset", lambda t: ["train", "cifar-10"], r"learntorch train: error: argument dataset: invalid choice: 'cifar-10'"),
    ("unknown-option", lambda t: [*T, "--epocs", "3"], r"learntorch: error: unrecognized arguments: --epocs 3"),
    ("epochs-negative", lambda t: [*T, "--epochs", "-3"], r"argument --epochs: expected a positive integer, got '-3'"),
    ("epochs-word", lambda t: [*T, "--epochs", "two"], r"argument --epochs: expected a positive integer, got 'two'"),
    ("epochs-zero", lambda t: [*T, "--epochs", "0"], r"argument --epochs: expected a positive integer, got '0'"),
    ("epochs-fraction", lambda t: [*T, "--epochs", "1.5"], r"argument --epochs: expected a positive integer, got '1\.5'"),
    ("epochs-empty", lambda t: [*T, "--epochs", ""], r"argument --epochs: expected a positive integer, got ''"),
    ("batch-zero", lambda t: [*T, "--batch-size", "0"], r"argument --batch-size: expected a positive integer, got '0'"),
    ("batch-negative", lambda t: [*T, "--batch-size", "-64"], r"argument --batch-size: expected a positive integer"),
    ("lr-nan", lambda t: [*T, "--lr", "nan"], r"argument --lr: expected a positive number, got 'nan'"),
    ("lr-inf", lambda t: [*T, "--lr", "inf"], r"argument --lr: expected a positive number, got 'inf'"),
    ("lr-overflow", lambda t: [*T, "--lr", "1e400"], r"argument --lr: expected a positive number, got '1e400'"),
    ("lr-negative", lambda t: [*T, "--lr", "-0.1"], r"argument --lr: expected a positive number"),
    ("lr-zero", lambda t: [*T, "--lr", "0"], r"argument --lr: expected a positive number, got '0'"),
    ("lr-word", lambda t: [*T, "--lr", "fast"], r"argument --lr: expected a positive number, got 'fast'"),
    ("seed-negative", lambda t: [*T, "--seed", "-1"], r"argument --seed: expected an integer >= 0, got '-1'"),
    ("seed-fraction", lambda t: [*T, "--seed", "0.5"], r"argument --seed: expected an integer >= 0"),
    ("device-tpu", lambda t: [*T, "--device", "tpu"], r"--device tpu: not a device name; use cpu or an accelerator"),
    ("out-missing-folder", lambda t: [*T, "--out", str(t / "no" / "m.pt")], r"learntorch train: error: cannot write --out .*no/m\.pt: folder .*no does not exist"),
    ("out-is-a-folder", lambda t: [*T, "--out", str(t)], r"learntorch train: error: cannot write --out .*: it is a folder; give a file name inside it"),
    ("no-dataset", lambda t: [*T, "--dry-run"], r"learntorch train: error: no Fashion-MNIST IDX files in .*FashionMNIST/raw"),
    ("diverged", lambda t: [*T, "--dry-run", "--batch-size", "32", "--lr", "1e30"], r"learntorch train: error: training diverged: .* with --lr 1e\+30; lower --lr \(the default is 0\.003\)"),
    ("evaluate-missing", lambda t: ["evaluate", "missing.pt"], r"learntorch evaluate: error: no checkpoint at missing\.pt"),
    ("evaluate-folder", lambda t: ["evaluate", str(t)], r"learntorch evaluate: error: .* is not a file; expected a checkpoint"),
    ("evaluate-empty", lambda t: ["evaluate", raw_file(t, "e.pt", b"")], r"e\.pt is empty \(0 bytes\)"),
    ("evaluate-csv", lambda t: ["evaluate", raw_file(t, "table.csv", b"x,y\n1,2\n")], r"table\.csv is a text file \(it starts with 'x,y'\)"),
    ("evaluate-zip", lambda t: ["evaluate", raw_file(t, "a.pt", b"PK\x05\x06" + bytes(18))], r"a\.pt is a zip archive but not a PyTorch checkpoint"),
    ("evaluate-half-zip", lambda t: ["evaluate", raw_file(t, "h.pt", b"PK\x03\x04 not really a zip")], r"h\.pt is truncated or damaged"),
    ("evaluate-bare-state-dict", lambda t: ["evaluate", torch_file(t, "w.pt", MLP(784, (8,), 10).state_dict())], r"w\.pt is not a learntorch checkpoint: it holds a bare state_dict"),
    ("evaluate-os-system", lambda t: ["evaluate", torch_file(t, "evil.pt", {"x": Payload()})], r"evil\.pt was refused as unsafe: loading it would call posix\.system"),
    ("evaluate-whole-module", lambda t: ["evaluate", torch_file(t, "mod.pt", nn.Linear(2, 2))], r"mod\.pt was refused: it stores pickled Python objects"),
    ("evaluate-three-outputs", lambda t: ["evaluate", checkpoint(t, MLP(784, (8,), 3))], r"m\.pt gives 3 outputs but fashion-mnist has 10 classes"),
    ("evaluate-other-inputs", lambda t: ["evaluate", checkpoint(t, MLP(4, (8,), 10))], r"m\.pt does not fit fashion-mnist's images: MLP expected a batch of inputs with 4 features"),
    ("evaluate-rgb-cnn", lambda t: ["evaluate", checkpoint(t, CNN(3, (4,), 28, 8, 10))], r"m\.pt does not fit fashion-mnist's images: CNN expected .*\(batch, 3, 28, 28\)"),
    ("evaluate-normalize-str", lambda t: ["evaluate", checkpoint(t, normalize="abc")], r"m\.pt: its metadata 'normalize' must be \[mean, std\] with std > 0, got 'abc'"),
    ("evaluate-normalize-zero-std", lambda t: ["evaluate", checkpoint(t, normalize=[0.5, 0.0])], r"its metadata 'normalize' .*got \[0\.5, 0\.0\]"),
    ("evaluate-normalize-nan", lambda t: ["evaluate", checkpoint(t, normalize=[float("nan"), 1.0])], r"its metadata 'normalize' .*got \[nan, 1\.0\]"),
    ("evaluate-normalize-short", lambda t: ["evaluate", checkpoint(t, normalize=[0.5])], r"its metadata 'normalize' .*got \[0\.5\]"),
    ("evaluate-other-dataset", lambda t: ["evaluate", checkpoint(t, dataset="cifar-10")], r"m\.pt was trained on 'cifar-10'; evaluate knows fashion-mnist"),
    ("evaluate-dataset-list", lambda t: ["evaluate", checkpoint(t, dataset=["x"])], r"m\.pt was trained on \['x'\]"),
    ("evaluate-malformed-metadata", lambda t: ["evaluate", tampered(t, lambda c: c.update(metadata="oops"))], r"m\.pt is a malformed learntorch checkpoint: metadata is a str"),
    ("evaluate-version-2", lambda t: ["evaluate", tampered(t, lambda c: c.update(version=2))], r"m\.pt is a learntorch checkpoint of version 2"),
]
if NO_GPU:
    CASES += [
        ("train-cuda", lambda t: [*T, "--device", "cuda", "--dry-run"], r"learntorch train: error: --device cuda: this machine has no cuda device .*; use --device cpu"),
        ("evaluate-cuda", lambda t: ["evaluate", checkpoint(t), "--device", "cuda"], r"learntorch evaluate: error: --device cuda: this machine has no cuda device .*; use --device cpu"),
    ]


def run(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(argv)
    out, err = capsys.readouterr()
    return stop.value.code, out, err


@pytest.mark.parametrize("mode", ["text", "json"])
@pytest.mark.parametrize("name, argv, culprit", CASES, ids=[c[0] for c in CASES])
def test_cli_fault(name, argv, culprit, mode, fake_data, tmp_path, capsys, monkeypatch):
    if name == "no-dataset":
        monkeypatch.setenv("LEARNTORCH_DATA", str(tmp_path / "empty"))
    args = argv(tmp_path) + (["--json"] if mode == "json" else [])
    code, out, err = run(args, capsys)
    assert code == 2, err
    assert "Traceback" not in err and "Traceback" not in out
    line = err.strip().splitlines()[-1]  # argparse prints the usage first; the error is one line
    assert line.startswith("learntorch") and " error: " in line
    assert re.search(culprit, line), line
    if mode == "json":
        report = strict_json(out)  # exactly one JSON document, no NaN
        assert report["exit_status"] == 2 and report["error"] in line
    else:
        assert out == ""
    assert not (tmp_path / "PWNED").exists() and not os.path.exists("PWNED")


# --- Start-up, Ctrl-C, strict JSON -----------------------------------------------------------


def test_version(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"learntorch {__import__('learntorch').__version__}"


@pytest.mark.parametrize("argv", [["--help"], ["train", "--help"], ["train", "fashion-mnist", "--epochs", "two"], ["--version"]])
def test_help_and_usage_errors_never_import_torch(argv):
    """What makes --help fast (benchmarks/cli_startup.py times it): torch is not even imported."""
    code = ("import sys\nfrom learntorch import cli\ntry:\n    cli.main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print('heavy:', sorted(m for m in ('torch', 'torchvision', 'numpy', 'matplotlib') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip().splitlines()[-1] == "heavy: []", result.stdout + result.stderr


@pytest.mark.parametrize("mode", ["text", "json"])
def test_ctrl_c_prints_one_line_and_exits_130(mode, fake_data, capsys, monkeypatch):
    import learntorch.recipes

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(learntorch.recipes, "train", interrupted)
    with pytest.raises(SystemExit) as stop:
        cli.main(["train", "fashion-mnist", "--dry-run"] + (["--json"] if mode == "json" else []))
    out, err = capsys.readouterr()
    assert stop.value.code == 130
    assert err == "learntorch train: interrupted (Ctrl-C); nothing was saved\n"
    if mode == "json":
        assert strict_json(out)["exit_status"] == 130


def test_a_real_sigint_exits_130_without_a_traceback(fake_data):
    # A job started in the background (`make test &`) inherits SIGINT ignored, and Python then
    # installs no KeyboardInterrupt handler: restore it, as in any terminal a user types Ctrl-C in.
    script = ("import signal, sys, time\nsignal.signal(signal.SIGINT, signal.default_int_handler)\n"
              "import learntorch.recipes\nfrom learntorch import cli\n"
              "def slow(*args, **kwargs):\n    print('training', flush=True)\n    time.sleep(120)\n"
              "learntorch.recipes.train = slow\nsys.exit(cli.main(['train', 'fashion-mnist', '--dry-run']))\n")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "training"  # it is inside "training" now
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err == "learntorch train: interrupted (Ctrl-C); nothing was saved\n"


def test_json_reports_are_strict_even_when_a_value_is_not_finite(fake_data, capsys, monkeypatch):
    import learntorch.training

    monkeypatch.setattr(learntorch.training, "evaluate", lambda *a, **k: {"loss": float("inf"), "accuracy": 0.1})
    assert cli.main(["train", "fashion-mnist", "--dry-run", "--json"]) == 0
    out = capsys.readouterr().out
    report = strict_json(out)
    assert report["test_loss"] is None and report["test_accuracy"] == 0.1 and "Infinity" not in out
