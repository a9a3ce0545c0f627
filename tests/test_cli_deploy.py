"""learntorch export / predict, and learntorch train under torchrun.

Every bad input (a missing file, an image of the wrong size or mode, a file that is not a
model, a damaged ONNX file, a booby-trapped .pt2) ends with one line on stderr and exit
status 2, never a traceback.
"""

import json
import os
import subprocess
import sys
import zipfile

import pytest
import torch
from PIL import Image

from learntorch import checkpoints, cli, data
from learntorch.models import CNN

CLASSES = data.FASHION_MNIST_CLASSES


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A trained-looking CNN checkpoint and four Fashion-MNIST-style images."""
    folder = tmp_path_factory.mktemp("deploy")
    torch.manual_seed(0)
    checkpoints.save(CNN(1, (4, 8), 28, hidden=16, out_features=10), folder / "model.pt",
                     normalize=[0.3, 0.35])
    g = torch.Generator().manual_seed(0)
    for i in range(4):
        pixels = torch.randint(0, 256, (28, 28), dtype=torch.uint8, generator=g).numpy()
        Image.fromarray(pixels).save(folder / f"item{i}.png")
    return folder


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def images(folder):
    return [folder / f"item{i}.png" for i in range(4)]


@pytest.mark.parametrize("fmt, name", [("torch-export", "model.pt2"), ("onnx", "model.onnx")])
def test_export_writes_a_model_that_agrees_with_the_checkpoint(folder, capsys, fmt, name):
    code, out, _ = run(capsys, "export", folder / "model.pt", "--format", fmt, "--out", folder / name, "--json")
    report = json.loads(out)
    assert code == 0 and report["format"] == fmt and (folder / name).is_file()
    assert report["bytes"] == (folder / name).stat().st_size and report["classes"] == CLASSES
    assert report["max_difference"] < 1e-5
    code, out, _ = run(capsys, "export", folder / "model.pt", "--format", fmt, "--out", folder / name)
    assert out.startswith(f"exported {folder / 'model.pt'} (CNN) as {fmt}")


def test_predict_gives_the_same_answers_from_all_three_kinds(folder, capsys):
    for fmt, name in [("torch-export", "model.pt2"), ("onnx", "model.onnx")]:
        run(capsys, "export", folder / "model.pt", "--format", fmt, "--out", folder / name)
    reports = []
    for model in ("model.pt", "model.pt2", "model.onnx"):
        code, out, _ = run(capsys, "predict", folder / model, *images(folder), "--json")
        assert code == 0
        reports.append(json.loads(out))
    assert [r["kind"] for r in reports] == ["checkpoint", "torch-export", "onnx"]
    first = [(p["class"], p["probability"]) for p in reports[0]["predictions"]]
    for report in reports[1:]:
        assert [p["class"] for p in report["predictions"]] == [c for c, _ in first]
        assert all(abs(p["probability"] - q) <= 1e-4 for p, (_, q) in zip(report["predictions"], first))
    # and the classes are the model's answer for those pixels
    model = checkpoints.load(folder / "model.pt")
    pixels = torch.stack([torch.from_numpy(__import__("numpy").array(Image.open(p))) for p in images(folder)])
    expected = model(((pixels.float() / 255 - 0.3) / 0.35).unsqueeze(1)).argmax(dim=1)
    assert [p["index"] for p in reports[0]["predictions"]] == expected.tolist()


def test_predict_prints_one_line_per_image(folder, capsys):
    code, out, _ = run(capsys, "predict", folder / "model.pt", *images(folder)[:2])
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2
    assert lines[0].startswith(f"{images(folder)[0]}: ") and lines[0].split(": ")[1].rsplit(" (", 1)[0] in CLASSES


def bad_image(folder, kind):
    path = folder / f"bad-{kind}.png"
    if kind == "rgb":
        Image.new("RGB", (28, 28)).save(path)
    elif kind == "size":
        Image.new("L", (32, 32)).save(path)
    else:
        path.write_bytes(b"this is not a picture")
    return path


def booby_trapped(folder):
    """model.pt2 with its example inputs replaced by a pickle that calls a function."""
    import io

    class Payload:
        def __reduce__(self):
            return (print, ("this must never run",))

    run_out = folder / "model.pt2"
    if not run_out.exists():
        cli.main(["export", str(folder / "model.pt"), "--format", "torch-export", "--out", str(run_out)])
    trap = io.BytesIO()
    torch.save(((Payload(),), {}), trap)
    evil = folder / "trap.pt2"
    with zipfile.ZipFile(run_out) as good, zipfile.ZipFile(evil, "w") as bad:
        for info in good.infolist():
            bad.writestr(info, trap.getvalue() if "sample_inputs" in info.filename else good.read(info.filename))
    return evil


def not_a_model_zip(folder):
    path = folder / "notes.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes/readme.txt", "hello")
    return path


def truncated_onnx(folder):
    cli.main(["export", str(folder / "model.pt"), "--format", "onnx", "--out", str(folder / "full.onnx")])
    path = folder / "truncated.onnx"
    path.write_bytes((folder / "full.onnx").read_bytes()[:5000])
    return path


def text_file(folder):
    path = folder / "model.txt"
    path.write_text("a text file, not a model\n")
    return path


@pytest.mark.parametrize("make_argv, message", [
    (lambda f: ["predict", f / "missing.onnx", f / "item0.png"], "no model at"),
    (lambda f: ["predict", f / "model.pt", f / "missing.png"], "no image at"),
    (lambda f: ["predict", f / "model.pt", bad_image(f, "rgb")], "is a RGB image; the model takes grey"),
    (lambda f: ["predict", f / "model.pt", bad_image(f, "size")], "is 32x32 pixels; the model takes 28x28"),
    (lambda f: ["predict", f / "model.pt", bad_image(f, "junk")], "is not an image file Pillow can read"),
    (lambda f: ["predict", text_file(f), f / "item0.png"], "is not a valid ONNX model"),
    (lambda f: ["predict", truncated_onnx(f), f / "item0.png"], "is not a valid ONNX model"),
    (lambda f: ["predict", not_a_model_zip(f), f / "item0.png"], "neither a learntorch checkpoint nor an exported program"),
    (lambda f: ["predict", booby_trapped(f), f / "item0.png"], "was refused: its example inputs"),
    (lambda f: ["export", f / "missing.pt", "--format", "onnx", "--out", f / "x.onnx"], "no model at"),
    (lambda f: ["export", text_file(f), "--format", "onnx", "--out", f / "x.onnx"], "is not a learntorch checkpoint"),
    (lambda f: ["export", not_a_model_zip(f), "--format", "onnx", "--out", f / "x.onnx"], "neither a learntorch checkpoint"),
    (lambda f: ["export", f / "model.pt", "--format", "onnx", "--out", f / "no" / "x.onnx"], "does not exist"),
    (lambda f: ["export", f / "model.pt", "--format", "tflite", "--out", f / "x"], "invalid choice: 'tflite'"),
    (lambda f: ["export", f / "model.pt", "--format", "onnx"], "the following arguments are required: --out"),
])
def test_bad_input_is_one_line_and_exit_status_2(folder, capsys, make_argv, message):
    argv = make_argv(folder)
    capsys.readouterr()  # drop what building the input printed
    with pytest.raises(SystemExit) as stop:
        cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert stop.value.code == 2
    assert message in err, err
    assert "Traceback" not in err and "this must never run" not in out + err
    assert err.strip().splitlines()[-1].startswith(f"learntorch {argv[0]}: error: ")


def test_the_installed_command_reports_bad_input_without_a_traceback(folder):
    bad = bad_image(folder, "size")
    result = subprocess.run([sys.executable, "-m", "learntorch", "predict", str(folder / "model.pt"), str(bad)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and result.stdout == ""
    assert "learntorch predict: error:" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow  # two torchrun launches training on the full Fashion-MNIST training set
def test_train_under_torchrun_matches_one_process(tmp_path):
    try:
        data.fashion_mnist(train=True)
    except (FileNotFoundError, ValueError) as err:
        pytest.skip(f"needs Fashion-MNIST: {err}")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    common = ["train", "fashion-mnist", "--epochs", "2", "--json"]
    # The same global batch: 256 in one process, 128 on each of two.
    one = subprocess.run([sys.executable, "-m", "learntorch", *common, "--batch-size", "256"],
                         capture_output=True, text=True, env=env, timeout=900)
    two = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2",
                          "-m", "learntorch.cli", *common, "--batch-size", "128", "--out", str(tmp_path / "m.pt")],
                         capture_output=True, text=True, env=env, timeout=900)
    assert one.returncode == 0, one.stderr[-2000:]
    assert two.returncode == 0, two.stderr[-2000:]
    single, double = json.loads(one.stdout), json.loads(two.stdout)  # rank 0 alone printed
    assert single["processes"] == 1 and double["processes"] == 2
    assert abs(single["test_accuracy"] - double["test_accuracy"]) < 0.015, (single, double)
    assert checkpoints.read(tmp_path / "m.pt")["metadata"]["test_accuracy"] == double["test_accuracy"]
