"""The four serious faults of issue #14, each with a test that failed before its fix.

1. Several processes preparing Fashion-MNIST at once corrupted each other (one fixed ``.part``
   name): real processes unpack into one empty cache at the same moment here.
2. ``learntorch train --out PATH`` failed only after training (a folder, a read-only folder, a
   full disk), losing the model.
3. A diverged run (``--lr 1e30``) reported success, with ``NaN`` inside its JSON.
4. The classic ``os.system`` pickle was refused but called "corrupt", and the message repeated
   torch's advice that ``weights_only=False`` "will likely succeed".

This file uses only what the library offered before the fixes, so it runs against old code too.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import pickle
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch
from faults import full_dir, read_only_dir  # noqa: F401  (fixtures)

from learntorch import checkpoints, cli, data

DEBIAN = Path("/usr/share/datasets/fashion-mnist")

# --- 1. Parallel preparation of Fashion-MNIST -----------------------------------------------

WORKER = textwrap.dedent("""
    import hashlib, json, sys, time
    from pathlib import Path
    src, cache, ready, go = map(Path, sys.argv[1:5])
    from learntorch.data import IDX_FILES, fashion_mnist, unpack_idx
    ready.touch()
    while not go.exists():  # start together: every process unpacks at the same moment
        time.sleep(0.002)
    try:
        raw = unpack_idx(src, cache / "FashionMNIST" / "raw")
        files = {name: hashlib.sha256((raw / name).read_bytes()).hexdigest() for name in IDX_FILES}
        train = fashion_mnist(train=True, root=cache)
        images = hashlib.sha256(train.data.numpy().tobytes() + train.targets.numpy().tobytes()).hexdigest()
        print(json.dumps({"ok": True, "files": files, "images": images, "n": len(train)}))
    except Exception as err:
        print(json.dumps({"ok": False, "error": f"{type(err).__name__}: {err}"[:300]}))
""")


def fashion_sources(tmp_path) -> Path:
    """The Debian package's .gz files, or (without it) generated ones of similar size."""
    if all((DEBIAN / f"{name}.gz").is_file() for name in data.IDX_FILES):
        return DEBIAN
    src = tmp_path / "gz"
    src.mkdir()
    g = torch.Generator().manual_seed(0)
    for prefix, n in (("train", 60000), ("t10k", 10000)):
        data.write_idx(src / f"{prefix}-images-idx3-ubyte", torch.randint(0, 256, (n, 28, 28), generator=g, dtype=torch.uint8))
        data.write_idx(src / f"{prefix}-labels-idx1-ubyte", (torch.arange(n) % 10).to(torch.uint8))
    for name in data.IDX_FILES:
        (src / f"{name}.gz").write_bytes(gzip.compress((src / name).read_bytes(), compresslevel=1))
    return src


def test_processes_unpacking_fashion_mnist_together_all_get_the_same_intact_files(tmp_path):
    src = fashion_sources(tmp_path)
    expected = {name: hashlib.sha256(gzip.decompress((src / f"{name}.gz").read_bytes())).hexdigest()
                for name in data.IDX_FILES}
    cache, go = tmp_path / "cache", tmp_path / "go"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    env.pop("LEARNTORCH_DATA", None)
    n = 6
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(src), str(cache), str(tmp_path / f"ready{i}"), str(go)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
               for i in range(n)]
    deadline = time.monotonic() + 300
    while not all((tmp_path / f"ready{i}").exists() for i in range(n)):
        assert time.monotonic() < deadline and all(w.poll() is None for w in workers), "a worker died starting"
        time.sleep(0.01)
    go.touch()
    results = []
    for w in workers:
        out, err = w.communicate(timeout=300)
        assert w.returncode == 0, err[-2000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    failures = [r["error"] for r in results if not r["ok"]]
    assert not failures, f"{len(failures)} of {n} processes failed: {failures}"
    assert all(r["files"] == expected for r in results), "a process saw files that differ from the source"
    assert len({r["images"] for r in results}) == 1, "processes got different training images"
    assert not [p.name for p in (cache / "FashionMNIST" / "raw").iterdir() if p.name.endswith(".part")]


# --- 2. train --out is checked before training ----------------------------------------------




@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if anything trains (or even loads the training set)."""
    import learntorch.recipes

    def train(*args, **kwargs):
        raise AssertionError("training started before --out was checked")
    monkeypatch.setattr(learntorch.recipes, "train", train)


def train_to(out, capsys, *extra):
    with pytest.raises(SystemExit) as stop:
        cli.main(["train", "fashion-mnist", "--dry-run", "--batch-size", "32", "--out", str(out), *extra])
    return stop.value.code, *capsys.readouterr()


def test_train_out_an_existing_folder_stops_before_training(fake_data, no_training, capsys):
    folder = fake_data / "models"
    folder.mkdir()
    code, out, err = train_to(folder, capsys)
    assert code == 2 and "Traceback" not in err
    assert "--out" in err and "it is a folder" in err and str(folder / "model.pt") in err


def test_train_out_in_a_read_only_folder_stops_before_training(fake_data, read_only_dir, no_training, capsys):
    code, out, err = train_to(read_only_dir / "m.pt", capsys)
    assert code == 2 and "Traceback" not in err
    assert "--out" in err and "is not writable" in err


def test_train_out_on_a_full_disk_stops_before_training(fake_data, full_dir, no_training, capsys):
    code, out, err = train_to(full_dir / "m.pt", capsys, "--json")
    assert code == 2 and "Traceback" not in err
    assert "no space left on device" in err and "--out" in err
    assert "no space left on device" in json.loads(out)["error"]


def test_a_save_that_fails_after_training_keeps_the_model_in_a_rescue_file(fake_data, capsys, monkeypatch):
    out = fake_data / "m.pt"
    real_save = checkpoints.save

    def full_disk_at_out(model, path, **kwargs):  # the disk fills up while training
        if Path(path) == out:
            raise OSError(28, f"cannot write {path}: no space left on device")
        return real_save(model, path, **kwargs)
    monkeypatch.setattr(checkpoints, "save", full_disk_at_out)
    monkeypatch.chdir(fake_data)
    code, stdout, err = train_to(out, capsys, "--json")
    assert code == 2 and "Traceback" not in err
    rescued = Path(json.loads(stdout)["saved_to"])
    assert rescued.parent == fake_data and rescued.name.startswith("learntorch-rescued-")
    assert str(rescued) in err and "no space left on device" in err
    assert type(checkpoints.load(rescued)).__name__ == "MLP"  # the trained model, whole


# --- 3. A diverged run is a failure, in strict JSON ------------------------------------------


def test_a_diverged_run_exits_non_zero_with_strict_json(fake_data, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["train", "fashion-mnist", "--dry-run", "--batch-size", "32", "--lr", "1e30", "--json"])
    out, err = capsys.readouterr()
    assert stop.value.code == 2
    assert "NaN" not in out and "Infinity" not in out
    report = json.loads(out, parse_constant=lambda c: pytest.fail(f"not strict JSON: {c}"))
    assert "diverged" in report["error"] and "--lr" in report["error"]
    assert "diverged" in err and "Traceback" not in err


# --- 4. The os.system pickle is refused as unsafe, never called corrupt -----------------------


class Payload:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("how", ["inside a torch zip", "raw pickle protocol 2", "raw pickle protocol 4"])
def test_the_os_system_payload_is_refused_as_unsafe(tmp_path, how, capsys):
    marker, path = tmp_path / "PWNED", tmp_path / "model.pt"
    if how == "inside a torch zip":
        torch.save({"format": "learntorch-checkpoint", "state_dict": Payload(marker)}, path)
    else:
        path.write_bytes(pickle.dumps(Payload(marker), protocol=int(how[-1])))
    with pytest.raises(ValueError) as info:
        checkpoints.load(path)
    with pytest.raises(SystemExit):
        cli.main(["evaluate", str(path)])
    for message in (str(info.value), capsys.readouterr().err):
        assert "unsafe" in message and "refused" in message and "posix.system" in message
        assert "corrupt" not in message.lower()
        assert "weights_only=False" not in message and "will likely succeed" not in message
    assert not marker.exists(), "the payload ran"
