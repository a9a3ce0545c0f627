"""Look inside a convolutional network: the feature maps each layer produces.

A forward hook is a function PyTorch calls with ``(module, inputs, output)`` every time a
module runs. Registering one on each conv layer, running one forward pass and removing the
hooks again collects every intermediate output without changing the model's code.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    """Height (or width) after a convolution or pooling: ``floor((W - K + 2P) / S) + 1``.

    Args:
        size: input height or width ``W``.
        kernel_size: ``K``; stride: ``S``; padding: ``P`` (pixels added on each side).

    Examples:
        >>> conv_output_size(28, kernel_size=3, padding=1)   # "same" padding keeps the size
        28
        >>> conv_output_size(28, kernel_size=2, stride=2)    # 2x2 max pooling halves it
        14
    """
    for name, value, low in [("size", size, 1), ("kernel_size", kernel_size, 1),
                             ("stride", stride, 1), ("padding", padding, 0)]:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if kernel_size > size + 2 * padding:
        raise ValueError(f"a {kernel_size}-pixel kernel does not fit in {size} pixels "
                         f"plus {padding} of padding on each side")
    return math.floor((size - kernel_size + 2 * padding) / stride) + 1


@torch.no_grad()
def feature_maps(model: nn.Module, x: torch.Tensor, layer_types=(nn.Conv2d,)) -> dict:
    """Run ``model(x)`` once and return the output of every layer of ``layer_types``.

    Args:
        model: any ``nn.Module``; it is put in evaluation mode for the pass and restored.
        x: a batch of inputs, e.g. ``(1, 1, 28, 28)``.
        layer_types: module classes whose outputs to collect, e.g.
            ``(nn.Conv2d, nn.MaxPool2d)``.

    Returns:
        dict: ``{layer name: output tensor}`` in the order the layers ran; names are those of
            ``model.named_modules()`` (e.g. ``"features.0"``). Outputs are detached, on the CPU.

    Examples:
        >>> net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Conv2d(4, 8, 3))
        >>> {name: tuple(m.shape) for name, m in feature_maps(net, torch.zeros(1, 1, 10, 10)).items()}
        {'0': (1, 4, 8, 8), '2': (1, 8, 6, 6)}
    """
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise ValueError(f"feature_maps expects a floating-point tensor batch, got "
                         f"{getattr(x, 'dtype', type(x).__name__)}")
    layers = [(name, m) for name, m in model.named_modules() if isinstance(m, tuple(layer_types))]
    if not layers:
        names = ", ".join(t.__name__ for t in layer_types)
        raise ValueError(f"the model has no layers of type {names} to collect feature maps from")
    maps: dict[str, torch.Tensor] = {}

    def keeper(name):
        def hook(module, inputs, output):
            maps[name] = output.detach().cpu()
        return hook

    handles = [m.register_forward_hook(keeper(name)) for name, m in layers]
    was_training = model.training
    model.eval()  # batch norm uses its running statistics, dropout is off
    try:
        param = next(model.parameters(), None)
        model(x if param is None else x.to(param.device))
    finally:  # remove the hooks even when the forward pass raises
        for handle in handles:
            handle.remove()
        model.train(was_training)
    return maps
