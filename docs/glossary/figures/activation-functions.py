"""Sigmoid, tanh and ReLU, and their derivatives as autograd computes them."""

import torch
from matplotlib.figure import Figure

FUNCTIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "ReLU": torch.relu}
COLOURS = {"sigmoid": "#1565c0", "tanh": "#2e7d32", "ReLU": "#d84315"}


def draw() -> Figure:
    z = torch.linspace(-4, 4, 161, requires_grad=True)
    fig = Figure(figsize=(8, 3.2))
    left, right = fig.subplots(1, 2)
    for name, f in FUNCTIONS.items():
        (derivative,) = torch.autograd.grad(f(z).sum(), z)
        left.plot(z.detach().numpy(), f(z).detach().numpy(), label=name, color=COLOURS[name], linewidth=2)
        right.plot(z.detach().numpy(), derivative.numpy(), label=name, color=COLOURS[name], linewidth=2)
    left.set(title="f(z)", xlabel="z", ylim=(-1.2, 2.2))
    right.set(title="f'(z), from autograd", xlabel="z", ylim=(-0.1, 1.15))
    right.axhline(0.25, color="#1565c0", linestyle=":", linewidth=1)
    right.annotate("sigmoid' <= 0.25", (-3.9, 0.29), color="#1565c0", fontsize=9)
    for ax in (left, right):
        ax.axhline(0, color="grey", linewidth=0.5)
        ax.axvline(0, color="grey", linewidth=0.5)
        ax.legend(loc="upper left", fontsize=9)
    fig.tight_layout()
    return fig
