"""Decision boundaries: a straight one from a single unit, a curved one from a hidden layer.

Both models are trained here (seeded): logistic regression on two clouds of points, and an
MLP with one hidden layer of 16 ReLU units on points inside and outside a circle. The shading
is each model's predicted class over the plane; the boundary is where it switches.
"""

import torch
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from torch import nn

COLOURS = ListedColormap(["#bbdefb", "#ffccbc"])  # light blue: class 0, light orange: class 1


def train(model, x, y, steps=300, lr=0.05):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    return model


def panel(ax, model, x, y, title):
    grid = torch.linspace(-3, 3, 120)
    gx, gy = torch.meshgrid(grid, grid, indexing="xy")
    with torch.no_grad():
        classes = model(torch.stack([gx.flatten(), gy.flatten()], dim=1)).argmax(dim=1).view(120, 120)
    gx, gy, classes = gx.numpy(), gy.numpy(), classes.numpy()
    ax.contourf(gx, gy, classes, levels=[-0.5, 0.5, 1.5], cmap=COLOURS)
    ax.contour(gx, gy, classes, levels=[0.5], colors="black", linewidths=1.5)
    for label, colour, marker in ((0, "#1565c0", "o"), (1, "#d84315", "^")):
        ax.scatter(x[y == label, 0].numpy(), x[y == label, 1].numpy(), s=12, color=colour, marker=marker)
    with torch.no_grad():
        accuracy = (model(x).argmax(dim=1) == y).float().mean().item()
    ax.set(title=f"{title}\ntraining accuracy {accuracy:.0%}", xlim=(-3, 3), ylim=(-3, 3), aspect="equal")
    ax.set_xticks([])
    ax.set_yticks([])


def draw() -> Figure:
    g = torch.Generator().manual_seed(0)
    blobs = torch.cat([torch.randn(60, 2, generator=g) * 0.7 + torch.tensor([-1.0, -0.8]),
                       torch.randn(60, 2, generator=g) * 0.7 + torch.tensor([1.0, 0.9])])
    blob_labels = torch.cat([torch.zeros(60), torch.ones(60)]).long()
    ring = torch.rand(200, 2, generator=g) * 5 - 2.5
    ring_labels = (ring.norm(dim=1) > 1.4).long()
    torch.manual_seed(0)
    linear = train(nn.Linear(2, 2), blobs, blob_labels)
    mlp = train(nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2)), ring, ring_labels, steps=400)
    fig = Figure(figsize=(8, 4), layout="constrained")
    left, right = fig.subplots(1, 2)
    panel(left, linear, blobs, blob_labels, "logistic regression: a straight line")
    panel(right, mlp, ring, ring_labels, "one hidden layer: a curved boundary")
    return fig
