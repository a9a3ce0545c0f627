"""Fault suite, concurrency and damaged caches, with real processes.

Parallel builds, two notebooks started together and CI shards all write the same cache. Here
separate Python processes start at the same moment (they wait for a "go" file) and must each
get intact files; a cache file damaged afterwards must be noticed and rebuilt, not used.
(The race that corrupted Fashion-MNIST is in test_faults_serious.py.)
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

from learntorch import checkpoints, data
from learntorch.data import sources
from learntorch.models import MLP

DEBIAN = Path("/usr/share/datasets/fashion-mnist")


def run_together(tmp_path, script: str, args_per_process: list[list[str]], timeout=300) -> list[dict]:
    """Start one process per argument list, release them at once, return each one's JSON line."""
    go = tmp_path / "go"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    procs = []
    for i, args in enumerate(args_per_process):
        ready = tmp_path / f"ready{i}"
        procs.append((ready, subprocess.Popen([sys.executable, "-c", script, str(ready), str(go), *args],
                                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)))
    deadline = time.monotonic() + timeout
    while not all(ready.exists() for ready, _ in procs):
        assert time.monotonic() < deadline and all(p.poll() is None for _, p in procs), "a process died starting"
        time.sleep(0.01)
    go.touch()
    results = []
    for _, p in procs:
        out, err = p.communicate(timeout=timeout)
        assert p.returncode == 0, err[-2000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


PRELUDE = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    ready, go = Path(sys.argv[1]), Path(sys.argv[2])
    args = sys.argv[3:]
    {imports}
    ready.touch()
    while not go.exists():
        time.sleep(0.002)
""")

SAVE_OR_LOAD = PRELUDE.format(imports="import torch\nfrom learntorch import checkpoints\nfrom learntorch.models import MLP") + textwrap.dedent("""
    role, path, seed = args[0], Path(args[1]), int(args[2])
    errors, loads = [], 0
    if role == "save":  # save the same model over and over, racing the other writers
        torch.manual_seed(seed)
        model = MLP(784, (64,), 10)
        for _ in range(15):
            checkpoints.save(model, path, writer=seed)
    else:  # read while the writers replace the file: every read must see a whole checkpoint
        end = time.monotonic() + 8
        while time.monotonic() < end:
            if path.exists():
                try:
                    checkpoints.load(path)
                    loads += 1
                except Exception as err:
                    errors.append(f"{type(err).__name__}: {err}"[:200])
    print(json.dumps({"role": role, "errors": errors, "loads": loads}))
""")


def test_processes_saving_one_checkpoint_at_once_never_leave_half_a_file(tmp_path):
    path = tmp_path / "shared.pt"
    results = run_together(tmp_path, SAVE_OR_LOAD, [["save", str(path), str(seed)] for seed in (1, 2, 3)]
                           + [["load", str(path), "0"]])
    reader = results[-1]
    assert reader["loads"] > 0 and reader["errors"] == [], reader["errors"][:3]
    final = checkpoints.read(path)
    torch.manual_seed(final["metadata"]["writer"])
    expected = MLP(784, (64,), 10).state_dict()
    assert all(torch.equal(final["state_dict"][k], v) for k, v in expected.items()), "a mix of two writers"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".shared.pt")] == []  # no temp files


ZOO = PRELUDE.format(imports="from learntorch import zoo\nfrom learntorch.models import MLP") + textwrap.dedent("""
    folder, log = args[0], Path(args[1])
    def train(recipe):
        with open(log, "a") as f:  # one line per training run
            f.write("trained\\n")
        time.sleep(1)  # long enough for the other process to ask meanwhile
        return MLP(4, (recipe["width"],), 2), {"note": "tiny"}
    path = zoo.cached_checkpoint("tiny", {"width": 3}, train, folder)
    print(json.dumps({"path": str(path)}))
""")


def test_two_processes_asking_for_one_shared_model_train_it_once(tmp_path):
    log = tmp_path / "log"
    results = run_together(tmp_path, ZOO, [[str(tmp_path / "models"), str(log)]] * 2)
    assert log.read_text().splitlines() == ["trained"]
    assert results[0]["path"] == results[1]["path"]
    assert checkpoints.read(results[0]["path"])["metadata"] == {"note": "tiny"}


# --- A damaged cache is noticed and rebuilt ---------------------------------------------------


def gz_source(tmp_path, n=500):
    src = tmp_path / "gz"
    src.mkdir()
    g = torch.Generator().manual_seed(0)
    for prefix in ("train", "t10k"):
        images = torch.randint(0, 256, (n, 28, 28), generator=g, dtype=torch.uint8)
        data.write_idx(src / f"{prefix}-images-idx3-ubyte", images)
        data.write_idx(src / f"{prefix}-labels-idx1-ubyte", (torch.arange(n) % 10).to(torch.uint8))
    for name in data.IDX_FILES:
        (src / f"{name}.gz").write_bytes(gzip.compress((src / name).read_bytes()))
        (src / name).unlink()
    return src


def flip(path: Path, offset: int) -> None:
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 0xFF
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("damage", ["flipped pixel", "truncated", "emptied", "deleted", "checksum deleted"])
def test_a_damaged_cache_file_is_rebuilt_from_its_source(tmp_path, damage):
    src = gz_source(tmp_path)
    raw = data.unpack_idx(src, tmp_path / "cache")
    target = raw / "train-images-idx3-ubyte"
    good = gzip.decompress((src / "train-images-idx3-ubyte.gz").read_bytes())
    assert target.read_bytes() == good
    if damage == "flipped pixel":  # the header still looks right: only the checksum can tell
        flip(target, 5000)
    elif damage == "truncated":
        target.write_bytes(good[:1000])
    elif damage == "emptied":
        target.write_bytes(b"")
    elif damage == "deleted":
        target.unlink()
    else:
        next(raw.glob(".train-images-idx3-ubyte.sha256")).unlink()
    assert not sources.verified(target)
    data.unpack_idx(src, tmp_path / "cache")
    assert target.read_bytes() == good and sources.verified(target)


@pytest.mark.skipif(not all((DEBIAN / f"{n}.gz").is_file() for n in data.IDX_FILES),
                    reason="needs the Debian package dataset-fashion-mnist")
def test_fashion_mnist_rebuilds_a_damaged_cache_instead_of_using_it(tmp_path, monkeypatch):
    monkeypatch.delenv("LEARNTORCH_DATA", raising=False)
    monkeypatch.setenv("LEARNTORCH_CACHE", str(tmp_path))
    first = data.fashion_mnist(train=False)
    cached = tmp_path / "FashionMNIST" / "raw" / "t10k-images-idx3-ubyte"
    flip(cached, 16 + 28 * 14 + 14)  # one pixel of the first test image: still a valid IDX file
    again = data.fashion_mnist(train=False)
    assert torch.equal(again.data, first.data) and torch.equal(again.targets, first.targets)
    assert sources.verified(cached)
