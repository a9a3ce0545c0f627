"""How many outputs of a 3x3 convolution each input pixel reaches, without and with padding.

Counted, not typed: with every weight 1, the gradient of the sum of the outputs with respect
to an input pixel is the number of outputs whose window covers it.
"""

import torch
from matplotlib.figure import Figure
from torch import nn


def reach(padding: int, size: int = 6) -> torch.Tensor:
    x = torch.ones(1, 1, size, size, requires_grad=True)
    conv = nn.Conv2d(1, 1, kernel_size=3, padding=padding, bias=False)
    nn.init.ones_(conv.weight)
    conv(x).sum().backward()
    return x.grad[0, 0].round().int()


def draw() -> Figure:
    fig = Figure(figsize=(7.2, 3.6))
    axes = fig.subplots(1, 2)
    for ax, padding, title in zip(axes, (0, 1), ("padding=0: 6x6 in, 4x4 out", "padding=1: 6x6 in, 6x6 out")):
        counts = reach(padding)
        ax.imshow(counts.numpy(), cmap="Oranges", vmin=0, vmax=9)
        for (i, j), n in zip(torch.cartesian_prod(torch.arange(6), torch.arange(6)).tolist(), counts.flatten().tolist()):
            ax.text(j, i, str(n), ha="center", va="center", fontsize=11, color="black" if n < 7 else "white")
        ax.set_title(title, fontsize=11)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("How many outputs each input pixel reaches (3x3 kernel)", fontsize=12)
    return fig
