"""write_image_folder: the layout ImageFolder reads, real pixels, clear errors."""

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.datasets import ImageFolder

from learntorch.data import FASHION_MNIST_CLASSES, fashion_mnist, write_image_folder


@pytest.fixture(scope="module")
def test_set():
    return fashion_mnist(train=False)


def test_layout_and_imagefolder_round_trip(test_set, tmp_path):
    root = write_image_folder(test_set, tmp_path / "imgs", ["Trouser", "Bag", 0], per_class=4)
    ds = ImageFolder(root)
    # ImageFolder sorts folder names, so its labels are not Fashion-MNIST's
    assert ds.classes == ["Bag", "T-shirt-top", "Trouser"]
    assert ds.class_to_idx == {"Bag": 0, "T-shirt-top": 1, "Trouser": 2}
    assert len(ds) == 12 and sorted(ds.targets) == [0] * 4 + [1] * 4 + [2] * 4


def test_pixels_are_the_dataset_pixels(test_set, tmp_path):
    root = write_image_folder(test_set, tmp_path, ["Sneaker"], per_class=2)
    first = torch.nonzero(test_set.targets == FASHION_MNIST_CLASSES.index("Sneaker")).flatten()[1]
    saved = np.array(Image.open(root / "Sneaker" / "0001.png"))
    assert saved.dtype == np.uint8 and np.array_equal(saved, test_set.data[first].numpy())


@pytest.mark.parametrize("classes, per_class, message", [
    (["Jacket"], 2, "unknown class"),
    ([10], 2, "unknown class"),
    (["Bag"], 0, "per_class"),
    (["Bag"], 5000, "only 1000 images"),
])
def test_bad_arguments(test_set, tmp_path, classes, per_class, message):
    with pytest.raises(ValueError, match=message):
        write_image_folder(test_set, tmp_path, classes, per_class)


def test_rejects_a_dataset_without_data(tmp_path):
    with pytest.raises(ValueError, match="MNIST-style"):
        write_image_folder([(0, 1)], tmp_path, [0], 1)
