"""CNN model, feature maps, filter plots, the model zoo and the CIFAR-10 loader."""

from __future__ import annotations

import hashlib
import pickle

import matplotlib
import numpy as np
import pytest
import torch
from torch import nn

matplotlib.use("Agg")

from learntorch import checkpoints, zoo  # noqa: E402
from learntorch.data import cifar10_tensors  # noqa: E402
from learntorch.features import conv_output_size, feature_maps  # noqa: E402
from learntorch.models import CNN, MODELS  # noqa: E402
from learntorch.plots import plot_feature_maps, plot_filters  # noqa: E402


# --- CNN ---------------------------------------------------------------------------------

@pytest.mark.parametrize("channels, size, in_ch", [((8,), 28, 1), ((4, 8, 16), 28, 1), ((6, 12), 32, 3)])
def test_cnn_output_shape_and_flat_features(channels, size, in_ch):
    model = CNN(in_ch, channels, size, hidden=16, out_features=7)
    out = model(torch.randn(3, in_ch, size, size))
    assert out.shape == (3, 7)
    side = size // 2 ** len(channels)
    assert model.flat_features == channels[-1] * side * side
    # the flattened features really have that many numbers
    assert model.features(torch.zeros(1, in_ch, size, size)).flatten(1).shape[1] == model.flat_features


def test_cnn_rebuilds_from_config_and_registry():
    model = CNN(1, (4, 8), 28, hidden=0, dropout=0.0)
    twin = MODELS["CNN"](**model.config)
    twin.load_state_dict(model.state_dict())
    x = torch.randn(2, 1, 28, 28)
    assert torch.equal(model.eval()(x), twin.eval()(x))
    assert MODELS["MLP"].__name__ == "MLP"


@pytest.mark.parametrize("shape", [(1, 28, 28), (2, 3, 28, 28), (2, 1, 32, 32), (2, 784)])
def test_cnn_rejects_wrong_input_shape_with_clear_message(shape):
    with pytest.raises(ValueError, match=r"expected a batch of images of shape \(batch, 1, 28, 28\)"):
        CNN(1, (4, 8), 28)(torch.zeros(shape))


@pytest.mark.parametrize("kwargs, words", [
    (dict(channels=()), "at least one conv block"),
    (dict(channels=(8, 0)), "channels\\[1\\]"),
    (dict(in_channels=0), "in_channels"),
    (dict(dropout=1.0), "dropout"),
    (dict(hidden=-1), "hidden"),
    (dict(channels=(4, 4, 4, 4, 4, 4), image_size=28), "shrink"),
])
def test_cnn_rejects_bad_arguments(kwargs, words):
    with pytest.raises(ValueError, match=words):
        CNN(**kwargs)


# --- output size and feature maps -----------------------------------------------------

@pytest.mark.parametrize("size, k, s, p", [(28, 3, 1, 1), (28, 5, 1, 0), (28, 3, 2, 1), (32, 4, 3, 2), (7, 7, 1, 0)])
def test_conv_output_size_matches_pytorch(size, k, s, p):
    out = nn.Conv2d(1, 1, k, stride=s, padding=p)(torch.zeros(1, 1, size, size))
    assert out.shape[-1] == conv_output_size(size, k, s, p)


def test_conv_output_size_rejects_impossible_settings():
    with pytest.raises(ValueError, match="does not fit"):
        conv_output_size(3, kernel_size=5)
    with pytest.raises(ValueError, match="stride"):
        conv_output_size(28, 3, stride=0)


def test_feature_maps_collects_every_conv_output_and_removes_hooks():
    model = CNN(1, (4, 8, 16), 28).train()
    maps = feature_maps(model, torch.randn(2, 1, 28, 28))
    assert list(maps) == ["features.0", "features.4", "features.8"]
    assert [tuple(m.shape) for m in maps.values()] == [(2, 4, 28, 28), (2, 8, 14, 14), (2, 16, 7, 7)]
    assert all(not m._forward_hooks for m in model.modules())  # no hook left behind
    assert model.training  # mode restored


def test_feature_maps_equal_a_manual_forward_pass():
    torch.manual_seed(0)
    model = CNN(1, (4, 8), 28).eval()
    x = torch.randn(1, 1, 28, 28)
    pooled = feature_maps(model, x, layer_types=(nn.MaxPool2d,))
    assert torch.allclose(pooled["features.7"], model.features(x))


def test_feature_maps_errors():
    with pytest.raises(ValueError, match="no layers of type Conv2d"):
        feature_maps(nn.Sequential(nn.Flatten(), nn.Linear(4, 2)), torch.zeros(1, 4))
    with pytest.raises(ValueError, match="floating-point"):
        feature_maps(CNN(1, (4,), 28), torch.zeros(1, 1, 28, 28, dtype=torch.uint8))
    model = CNN(1, (4,), 28)
    with pytest.raises(ValueError, match="expected a batch of images"):
        feature_maps(model, torch.zeros(1, 3, 28, 28))
    assert all(not m._forward_hooks for m in model.modules())  # removed even after an error


# --- plots ------------------------------------------------------------------------------

def test_plot_filters_draws_one_image_per_kernel():
    fig = plot_filters(torch.randn(10, 1, 5, 5), ncols=4)
    assert len([ax for ax in fig.axes if ax.images]) == 10
    rgb = plot_filters(torch.randn(3, 3, 3, 3))
    assert rgb.axes[0].images[0].get_array().shape == (3, 3, 3)
    with pytest.raises(ValueError, match=r"\(out_channels, in_channels, kH, kW\)"):
        plot_filters(torch.randn(3, 3))


def test_plot_feature_maps_limits_and_errors():
    fig = plot_feature_maps(torch.rand(1, 12, 7, 7), max_maps=5, title="layer")
    assert len([ax for ax in fig.axes if ax.images]) == 5
    with pytest.raises(ValueError, match=r"\(C, H, W\) or \(1, C, H, W\)"):
        plot_feature_maps(torch.rand(2, 4, 7, 7))
    with pytest.raises(ValueError, match="max_maps"):
        plot_feature_maps(torch.rand(4, 7, 7), max_maps=0)


# --- zoo --------------------------------------------------------------------------------

TINY = dict(epochs=1, subset=300, test_subset=200)


@pytest.fixture(scope="module")
def tmp_cache(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        cache = tmp_path_factory.mktemp("cache")
        mp.setenv("LEARNTORCH_CACHE", str(cache))
        yield cache


def test_zoo_trains_once_then_loads_the_cached_checkpoint(tmp_cache, monkeypatch):
    monkeypatch.setattr(zoo, "source_fingerprint", lambda: "fixed")  # others may edit src meanwhile
    model = zoo.fashion_cnn(**TINY)
    path = zoo.fashion_cnn_path(**TINY)
    assert path.parent == tmp_cache / "models" and path.is_file()
    assert not list(path.parent.glob("*.tmp"))  # the atomic write left no temporary file

    def no_training(*args, **kwargs):
        raise AssertionError("a cached model was trained again")

    monkeypatch.setattr(zoo, "train_fashion_cnn", no_training)
    again = zoo.fashion_cnn(**TINY)
    x = torch.randn(4, 1, 28, 28)
    assert torch.equal(model(x), again(x))
    record = zoo.fashion_cnn_record(**TINY)
    assert record["train_size"] == 300 and record["test_size"] == 200
    assert 0 <= record["test_accuracy"] <= 1 and len(record["history"]["train_loss"]) == 1
    assert checkpoints.read(path)["model_class"] == "CNN"


def test_zoo_key_changes_with_recipe_and_source(monkeypatch):
    base = zoo.recipe_key(zoo.make_recipe(**TINY))
    assert zoo.recipe_key(zoo.make_recipe(**{**TINY, "epochs": 2})) != base
    monkeypatch.setattr(zoo, "source_fingerprint", lambda: "a library edit")
    assert zoo.recipe_key(zoo.make_recipe(**TINY)) != base


def test_zoo_rejects_bad_settings():
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        zoo.fashion_cnn(epochs=0)
    with pytest.raises(ValueError, match="subset"):
        zoo.fashion_cnn(subset=-5)


# --- CIFAR-10 from a test-made folder in torchvision's on-disk format --------------------

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def write_fake_cifar(root, per_batch=4):
    """Write cifar-10-batches-py with `per_batch` random images per file, as CIFAR's pickles."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    batches = {}
    for name in names:
        data = rng.integers(0, 256, size=(per_batch, 3 * 32 * 32), dtype=np.uint8)  # rows: R, G, B planes
        labels = rng.integers(0, 10, size=per_batch).tolist()
        with open(folder / name, "wb") as f:
            pickle.dump({"data": data, "labels": labels, "batch_label": name}, f)
        batches[name] = (data, labels)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"label_names": CLASSES, "num_cases_per_batch": per_batch}, f)
    return batches


def test_cifar10_reads_a_copy_in_torchvisions_format(tmp_path):
    batches = write_fake_cifar(tmp_path)
    images, labels, classes = cifar10_tensors(train=False, root=tmp_path, verify=False)
    data, expected = batches["test_batch"]
    assert images.shape == (4, 3, 32, 32) and images.dtype == torch.float32
    assert labels.tolist() == expected and classes == CLASSES
    # pixel (channel 1, row 2, column 5) of image 3 is at G-plane offset 2 * 32 + 5
    assert images[3, 1, 2, 5].item() == pytest.approx(data[3, 1024 + 2 * 32 + 5] / 255)
    train_images, train_labels, _ = cifar10_tensors(train=True, root=tmp_path, verify=False)
    assert train_images.shape == (20, 3, 32, 32) and len(train_labels) == 20


def test_cifar10_md5_check_rejects_a_copy_that_is_not_the_original(tmp_path):
    write_fake_cifar(tmp_path)
    data = (tmp_path / "cifar-10-batches-py" / "test_batch").read_bytes()
    assert hashlib.md5(data).hexdigest() != "40351d587109b95175f43aff81a1287e"
    with pytest.raises(ValueError, match="md5 sums.*verify=False"):
        cifar10_tensors(train=False, root=tmp_path)


def test_cifar10_missing_folder_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="never downloads it"):
        cifar10_tensors(root=tmp_path)
    write_fake_cifar(tmp_path)
    (tmp_path / "cifar-10-batches-py" / "data_batch_3").unlink()
    with pytest.raises(FileNotFoundError, match="missing data_batch_3"):
        cifar10_tensors(root=tmp_path, verify=False)
