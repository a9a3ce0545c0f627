"""The learntorch command on tiny IDX files: JSON output, evaluate, and argparse-style errors."""

import json
import subprocess
import sys

import pytest
import torch

from learntorch.recipes import FashionRecipe
from learntorch import checkpoints, cli, data
from learntorch.models import MLP

REPORT_KEYS = {"test_accuracy", "train_seconds", "epochs", "data_source", "peak_memory_mb", "device",
               "torch_version", "load_average", "recipe"}




def run_main(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_dry_run_json_prints_one_object_with_the_report_keys(fake_data, capsys):
    out_path = fake_data / "model.pt"
    code, out, _ = run_main(capsys, "train", "fashion-mnist", "--dry-run", "--json", "--batch-size", "32",
                            "--device", "cpu", "--out", str(out_path))
    assert code == 0
    report = json.loads(out)  # exactly one JSON document: json.loads fails on trailing text
    assert REPORT_KEYS <= set(report)
    assert report["epochs"] == 1 and report["dry_run"] is True and report["device"] == "cpu"
    assert 0 <= report["test_accuracy"] <= 1 and report["peak_memory_mb"] > 0
    assert report["recipe"]["batch_size"] == 32
    assert str(fake_data) in report["data_source"]
    saved = checkpoints.read(out_path)
    assert saved["metadata"]["dataset"] == "fashion-mnist"
    assert saved["metadata"]["test_accuracy"] == report["test_accuracy"]


def test_train_prints_a_summary_without_json(fake_data, capsys):
    code, out, _ = run_main(capsys, "train", "fashion-mnist", "--epochs", "2", "--batch-size", "100", "--seed", "3")
    assert code == 0
    assert "for 2 epoch(s), batch 100" in out and "test accuracy:" in out
    assert out.count("training loss") == 2


def test_evaluate_reports_the_saved_models_accuracy(fake_data, capsys):
    torch.manual_seed(0)
    path = checkpoints.save(MLP(784, (8,), 10), fake_data / "m.pt", dataset="fashion-mnist")
    code, out, _ = run_main(capsys, "evaluate", str(path), "--json")
    report = json.loads(out)
    x, y = data.as_tensors(data.fashion_mnist(train=False), *data.FASHION_MNIST_STATS)
    expected = (checkpoints.load(path)(x).argmax(1) == y).float().mean().item()
    assert code == 0 and report["test_accuracy"] == round(expected, 4)
    assert report["model_class"] == "MLP" and report["config"]["hidden"] == [8]
    code, out, _ = run_main(capsys, "evaluate", str(path))
    assert "test accuracy:" in out


@pytest.mark.parametrize("argv, message", [
    (["train", "cifar-10"], "invalid choice: 'cifar-10'"),
    (["train", "fashion-mnist", "--epochs", "-3"], "--epochs: expected a positive integer, got '-3'"),
    (["train", "fashion-mnist", "--epochs", "two"], "--epochs: expected a positive integer, got 'two'"),
    (["train", "fashion-mnist", "--batch-size", "0"], "--batch-size: expected a positive integer"),
    (["train", "fashion-mnist", "--lr", "nan"], "--lr: expected a positive number, got 'nan'"),
    (["train", "fashion-mnist", "--seed", "-1"], "--seed: expected an integer >= 0"),
    (["train", "fashion-mnist", "--device", "tpu"], "--device tpu: not a device name"),
    (["train", "fashion-mnist", "--out", "/no/such/folder/m.pt"], "folder /no/such/folder does not exist"),
    (["evaluate", "missing.pt"], "no checkpoint at missing.pt"),
    ([], "the following arguments are required: COMMAND"),
])
def test_bad_arguments_exit_2_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(argv)
    err = capsys.readouterr().err
    assert stop.value.code == 2
    assert message in err and "usage: learntorch" in err


@pytest.mark.parametrize("device", ["cuda", "mps", "xpu"])
def test_a_device_the_machine_lacks(device, capsys):
    if torch.accelerator.is_available() and torch.accelerator.current_accelerator().type == device:
        pytest.skip(f"this machine has a {device} device")
    with pytest.raises(SystemExit) as stop:
        cli.main(["train", "fashion-mnist", "--device", device, "--dry-run"])
    assert stop.value.code == 2 and f"this machine has no {device} device" in capsys.readouterr().err


def test_missing_dataset_is_an_error_not_a_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LEARNTORCH_DATA", str(tmp_path))
    with pytest.raises(SystemExit) as stop:
        cli.main(["train", "fashion-mnist", "--dry-run"])
    assert stop.value.code == 2
    assert "no Fashion-MNIST IDX files" in capsys.readouterr().err


@pytest.mark.parametrize("content, message", [
    (b"", "is empty (0 bytes)"),
    ("a bare state_dict", "not a learntorch checkpoint: it holds a bare state_dict"),
])
def test_corrupt_checkpoint_exit_2(tmp_path, content, message, capsys):
    path = tmp_path / "bad.pt"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        torch.save(MLP(784, (8,), 10).state_dict(), path)
    with pytest.raises(SystemExit) as stop:
        cli.main(["evaluate", str(path)])
    assert stop.value.code == 2 and message in capsys.readouterr().err


def test_the_clis_recipe_defaults_are_the_recipes():
    recipe = FashionRecipe()
    assert cli.RECIPE_DEFAULTS == {name: getattr(recipe, name) for name in cli.RECIPE_DEFAULTS}


def test_help_states_the_defaults(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    recipe = FashionRecipe()
    for value in (recipe.epochs, recipe.batch_size, recipe.lr, recipe.seed):
        assert f"(default: {value})" in out


def test_python_dash_m_gives_argparse_errors_not_tracebacks(tmp_path):
    path = tmp_path / "corrupt.pt"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    result = subprocess.run([sys.executable, "-m", "learntorch", "evaluate", str(path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert "learntorch evaluate: error:" in result.stderr and "corrupt.pt" in result.stderr
    assert "truncated or damaged" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
