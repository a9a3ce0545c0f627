"""The model a runtime serves: raw 8-bit images in, class probabilities out.

A classifier trained in the lessons expects images scaled to [0, 1], normalised with the
training set's mean and standard deviation, and shaped ``(N, 1, 28, 28)``; it returns logits.
A program serving it must repeat all of that exactly, in whatever language it is written.
:class:`Deployable` puts those steps into the model itself, so the exported graph starts
at the bytes of an image file and ends at probabilities, and its class names ride along.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from torch import nn

from learntorch import checkpoints
from learntorch.data.images import FASHION_MNIST_CLASSES, FASHION_MNIST_STATS

FORMAT = "learntorch-export"
VERSION = 1


class Deployable(nn.Module):
    """``model`` with its preprocessing and softmax built in, and its class names attached.

    Args:
        model: a trained classifier that takes normalised ``(N, 1, H, W)`` images and
            returns logits (an ``MLP`` or ``CNN`` from :mod:`learntorch.models`, or any module).
        mean: the mean pixel value (of images scaled to [0, 1]) the model was trained with.
        std: the standard deviation the model was trained with.
        classes: the name of each output, in order.
        image_size: the side of the square grey images it takes (28 for Fashion-MNIST).

    ``forward`` takes ``uint8`` images of shape ``(N, image_size, image_size)``, the values
    an image file holds, and returns probabilities of shape ``(N, len(classes))``.

    Examples:
        >>> from learntorch.models import MLP
        >>> deployable = Deployable(MLP(784, (8,), 3), 0.5, 0.25, ["a", "b", "c"])
        >>> probs = deployable(torch.zeros(2, 28, 28, dtype=torch.uint8))
        >>> probs.shape, bool(torch.allclose(probs.sum(dim=1), torch.ones(2)))
        (torch.Size([2, 3]), True)
    """

    def __init__(self, model: nn.Module, mean: float, std: float, classes, image_size: int = 28):
        super().__init__()
        if not (isinstance(std, (int, float)) and std > 0):
            raise ValueError(f"std must be a positive number, got {std!r}")
        self.model = model.eval()  # dropout off: an exported graph is for inference
        # Buffers, not Python floats: they are saved with the weights and appear in the graph.
        self.register_buffer("mean", torch.tensor(float(mean)))
        self.register_buffer("std", torch.tensor(float(std)))
        self.classes = [str(name) for name in classes]
        self.image_size = image_size

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = images.float().div(255)                     # (N, H, W) bytes -> floats in [0, 1]
        x = x.sub(self.mean).div(self.std).unsqueeze(1)  # normalised, (N, 1, H, W)
        return torch.softmax(self.model(x), dim=1)     # (N, classes) probabilities

    def metadata(self) -> dict:
        """What a runtime needs besides the graph: class names and the input it expects.

        Examples:
            >>> from learntorch.models import MLP
            >>> meta = Deployable(MLP(784, (8,), 2), 0.5, 0.25, ["no", "yes"]).metadata()
            >>> meta["classes"], meta["input"]["shape"]
            (['no', 'yes'], ['batch', 28, 28])
        """
        return {"format": FORMAT, "version": VERSION, "classes": self.classes,
                "input": {"name": "images", "dtype": "uint8", "shape": ["batch", self.image_size, self.image_size],
                          "description": "grey images, 0 = black, 255 = white, as in Fashion-MNIST"},
                "output": {"name": "probabilities", "shape": ["batch", len(self.classes)]}}

    @classmethod
    def from_checkpoint(cls, path) -> Deployable:
        """The model saved at ``path`` (a learntorch checkpoint), ready to export or serve.

        The normalisation and class names come from the checkpoint's metadata (``normalize``,
        ``classes``); without them, Fashion-MNIST's.

        Examples:
            >>> import tempfile
            >>> from learntorch.models import CNN
            >>> path = checkpoints.save(CNN(1, (4,), 28, hidden=0), Path(tempfile.mkdtemp()) / "cnn.pt")
            >>> deployable = Deployable.from_checkpoint(path)
            >>> deployable.image_size, deployable.classes[:2]
            (28, ['T-shirt/top', 'Trouser'])
        """
        model = checkpoints.load(path)
        metadata = checkpoints.read(path)["metadata"]
        mean, std = metadata.get("normalize", FASHION_MNIST_STATS)
        classes = metadata.get("classes", FASHION_MNIST_CLASSES)
        config = model.config
        if "image_size" in config:  # a CNN
            side = config["image_size"]
        else:  # an MLP on flattened square images: 784 inputs -> 28 x 28
            side = math.isqrt(config["in_features"])
            if side * side != config["in_features"]:
                raise ValueError(f"{path}: an MLP with {config['in_features']} inputs does not take "
                                 "square images, so it cannot be served as an image classifier")
        if config.get("in_channels", 1) != 1:
            raise ValueError(f"{path}: the model takes {config['in_channels']}-channel images; "
                             "Deployable serves grey (1-channel) images")
        if len(classes) != config["out_features"]:
            raise ValueError(f"{path}: {len(classes)} class names for {config['out_features']} outputs")
        return cls(model, mean, std, classes, side)


def read_images(paths, size: int = 28) -> torch.Tensor:
    """Grey ``size`` x ``size`` image files as one ``uint8`` tensor of shape ``(N, size, size)``.

    Images must already be in the model's format (grey, the right size): converting them
    silently would hide a mismatch. The error says what is wrong and how to convert.

    Examples:
        >>> import tempfile
        >>> from PIL import Image
        >>> path = Path(tempfile.mkdtemp()) / "shirt.png"
        >>> Image.new("L", (28, 28), color=200).save(path)
        >>> images = read_images([path])
        >>> images.shape, images.dtype, images[0, 0, 0].item()
        (torch.Size([1, 28, 28]), torch.uint8, 200)
    """
    from PIL import Image, UnidentifiedImageError

    images = []
    for path in map(Path, paths):
        if not path.is_file():
            raise FileNotFoundError(f"no image at {path}: the file does not exist")
        try:
            with Image.open(path) as image:
                image.load()
        except (UnidentifiedImageError, OSError) as err:
            raise ValueError(f"{path} is not an image file Pillow can read ({err})") from None
        fix = f"convert it first, e.g. Image.open(path).convert('L').resize(({size}, {size}))"
        if image.mode != "L":
            raise ValueError(f"{path} is a {image.mode} image; the model takes grey (mode L) "
                             f"{size}x{size} images: {fix}")
        if image.size != (size, size):
            raise ValueError(f"{path} is {image.size[0]}x{image.size[1]} pixels; the model takes "
                             f"{size}x{size}: {fix}")
        images.append(torch.from_numpy(np.array(image, dtype=np.uint8)))
    if not images:
        raise ValueError("no image files given")
    return torch.stack(images)
