"""Dropout's mask: which units of a layer survive in three training steps, and what eval mode does.

Each panel is nn.Dropout(p=0.5) applied to a layer of 8 x 16 units that are all 1: a
surviving unit is scaled to 1 / (1 - p) = 2, a dropped one is 0.
"""

import torch
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from torch import nn


def draw() -> Figure:
    torch.manual_seed(0)
    drop = nn.Dropout(p=0.5)
    units = torch.ones(8, 16)
    panels = [(drop(units), f"training step {step}") for step in (1, 2, 3)]
    drop.eval()
    panels.append((drop(units), "evaluation mode"))
    fig = Figure(figsize=(9, 2.6))
    axes = fig.subplots(1, 4)
    colours = ListedColormap(["#f2f2f2", "#9e9e9e", "#d84315"])  # dropped, kept as is, kept and scaled x2
    for ax, (values, title) in zip(axes, panels):
        ax.imshow(values.numpy(), cmap=colours, vmin=0, vmax=2)
        kept = (values != 0).float().mean().item()
        ax.set_title(f"{title}\n{kept:.0%} of units kept", fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("nn.Dropout(p=0.5) on a layer of 128 units: light = dropped (0), orange = kept and doubled",
                 fontsize=10)
    return fig
