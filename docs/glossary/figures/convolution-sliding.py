"""A 3x3 kernel sliding over a 5x5 image: two window positions and the output cells they make.

The output values are computed with torch.nn.functional.conv2d, not typed.
"""

import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

IMAGE = torch.tensor([[3, 0, 1, 2, 7],
                      [1, 5, 8, 9, 3],
                      [2, 7, 2, 5, 1],
                      [0, 1, 3, 1, 7],
                      [4, 2, 1, 6, 2]], dtype=torch.float32)
KERNEL = torch.tensor([[1, 0, -1],
                       [1, 0, -1],
                       [1, 0, -1]], dtype=torch.float32)   # left column minus right column
WINDOWS = [((0, 0), "#d84315"), ((1, 2), "#1565c0")]       # (row, column) of a window's top-left corner


def grid(ax, values, title, boxes=()):
    rows, cols = values.shape
    ax.imshow(torch.zeros_like(values).numpy(), cmap="Greys", vmin=0, vmax=1)
    for i in range(rows):
        for j in range(cols):
            ax.text(j, i, f"{values[i, j]:g}", ha="center", va="center", fontsize=11)
    for (i, j), size, colour in boxes:
        ax.add_patch(Rectangle((j - 0.5, i - 0.5), size, size, fill=False, edgecolor=colour, linewidth=3))
    ax.set_xticks([x - 0.5 for x in range(cols + 1)], minor=True)
    ax.set_yticks([y - 0.5 for y in range(rows + 1)], minor=True)
    ax.grid(which="minor", color="#bdbdbd", linewidth=1)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    ax.set_title(title, fontsize=11)


def draw() -> Figure:
    output = F.conv2d(IMAGE.view(1, 1, 5, 5), KERNEL.view(1, 1, 3, 3))[0, 0]
    fig = Figure(figsize=(9, 4.4), layout="constrained")
    image_ax, kernel_ax, output_ax = fig.subplots(1, 3, gridspec_kw={"width_ratios": [5, 3, 3]})
    grid(image_ax, IMAGE, "input (5x5)", [(corner, 3, colour) for corner, colour in WINDOWS])
    grid(kernel_ax, KERNEL, "kernel (3x3)")
    grid(output_ax, output, "output (3x3)", [(corner, 1, colour) for corner, colour in WINDOWS])
    for (i, j), colour in WINDOWS:
        window = IMAGE[i:i + 3, j:j + 3]
        assert (window * KERNEL).sum() == output[i, j]      # the picture's claim, checked
    fig.suptitle("Each output cell = sum of (window x kernel); the window slides one pixel at a time",
                 fontsize=11)
    return fig
