"""Models the lessons train: a configurable fully-connected classifier and a small CNN."""

from __future__ import annotations

import torch
from torch import nn


class MLP(nn.Module):
    """A fully-connected classifier: flatten, then Linear -> ReLU -> Dropout per hidden layer.

    Args:
        in_features: inputs per sample after flattening (784 for a 28x28 image).
        hidden: sizes of the hidden layers, e.g. ``(256, 128, 64)``; empty for a linear model.
        out_features: number of classes; the model returns one logit per class.
        dropout: probability of zeroing a hidden unit during training (0 turns it off).

    The model returns logits (no softmax): ``nn.CrossEntropyLoss`` applies log-softmax
    itself, which is faster and numerically safer than softmax followed by a log.

    >>> model = MLP(784, (256, 128, 64), 10, dropout=0.2)
    >>> model(torch.zeros(5, 1, 28, 28)).shape
    torch.Size([5, 10])
    >>> model.config
    {'in_features': 784, 'hidden': [256, 128, 64], 'out_features': 10, 'dropout': 0.2}
    """

    def __init__(self, in_features: int = 784, hidden=(256, 128, 64), out_features: int = 10,
                 dropout: float = 0.0):
        super().__init__()
        hidden = list(hidden)
        for name, value in [("in_features", in_features), ("out_features", out_features), *(
                (f"hidden[{i}]", h) for i, h in enumerate(hidden))]:
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"MLP {name} must be a positive integer, got {value!r}")
        if not 0 <= dropout < 1:
            raise ValueError(f"MLP dropout must be in [0, 1), got {dropout}")
        # Kept so a checkpoint can rebuild the same architecture: MLP(**model.config).
        self.config = dict(in_features=in_features, hidden=hidden, out_features=out_features,
                           dropout=dropout)
        layers: list[nn.Module] = [nn.Flatten()]
        sizes = [in_features, *hidden]
        for n_in, n_out in zip(sizes, sizes[1:]):
            layers += [nn.Linear(n_in, n_out), nn.ReLU()]
            if dropout:
                layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(sizes[-1], out_features))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.shape[1:].numel() if x.dim() > 1 else None
        if flat != self.config["in_features"]:
            raise ValueError(
                f"MLP expected a batch of inputs with {self.config['in_features']} features each "
                f"(e.g. shape (batch, {self.config['in_features']}) or (batch, 1, 28, 28)), "
                f"got shape {tuple(x.shape)}"
            )
        return self.layers(x)
