"""Models the lessons train: a fully-connected classifier, a small CNN, and two recurrent networks."""

from __future__ import annotations

import torch
from torch import nn


class Dropout(nn.Dropout):
    """``nn.Dropout`` with its random mask drawn by ``torch.rand_like``: same maths, faster on a CPU.

    In training mode each value is zeroed with probability ``p`` and the survivors are
    scaled by ``1 / (1 - p)``, so the expected value is unchanged; in evaluation mode the
    input passes through. PyTorch's own dropout draws the mask with ``bernoulli_``,
    which on the CPU takes about twice as long per value as ``rand_like`` and a
    comparison; for the course's MLP that is several percent of every training step.
    ``benchmarks/fmnist_mlp.py`` times both (``in_memory`` vs ``in_memory_nn_dropout``).
    Written out like this, dropout is also three lines a learner can read. ``inplace=True``
    is accepted, as ``nn.Dropout`` accepts it, but the output is always a new tensor.

    Examples:
        >>> _ = torch.manual_seed(0)
        >>> drop = Dropout(0.5)
        >>> out = drop(torch.ones(10_000))
        >>> sorted(set(out.tolist())), round(out.mean().item(), 1)  # zeros and 1 / (1 - p)
        ([0.0, 2.0], 1.0)
        >>> drop.eval()(torch.ones(3))  # evaluation mode: no dropout
        tensor([1., 1., 1.])
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        if self.p == 1:
            return torch.zeros_like(x)
        keep = torch.rand_like(x).ge_(self.p)  # 1.0 where the value survives (chance 1 - p)
        return x * keep.div_(1 - self.p)  # autograd saves the scaled mask for backward


class MLP(nn.Module):
    """A fully-connected classifier: flatten, then Linear -> ReLU -> Dropout per hidden layer.

    Args:
        in_features: inputs per sample after flattening (784 for a 28x28 image).
        hidden: sizes of the hidden layers, e.g. ``(256, 128, 64)``; empty for a linear model.
        out_features: number of classes; the model returns one logit per class.
        dropout: probability of zeroing a hidden unit during training (0 turns it off).

    The model returns logits (no softmax): ``nn.CrossEntropyLoss`` applies log-softmax
    itself, which is faster and numerically safer than softmax followed by a log.

    Examples:
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
                layers.append(Dropout(dropout))
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


class CNN(nn.Module):
    """A small convolutional classifier: conv blocks, then a fully-connected head.

    Each block is Conv2d(3x3, padding 1) -> BatchNorm2d -> ReLU -> MaxPool2d(2): the
    convolution keeps height and width, pooling halves them, and each block has more
    channels than the one before (deeper, but smaller, feature maps).

    Args:
        in_channels: channels of the input images (1 for grey, 3 for RGB).
        channels: output channels of each conv block, e.g. ``(32, 64)``.
        image_size: height (= width) of the input images, e.g. 28.
        hidden: units of the hidden fully-connected layer (0 for none).
        out_features: number of classes; the model returns one logit per class.
        dropout: dropout probability before each fully-connected layer.

    Examples:
        >>> model = CNN(1, (32, 64), 28, hidden=128, out_features=10)
        >>> model(torch.zeros(5, 1, 28, 28)).shape
        torch.Size([5, 10])
        >>> model.flat_features  # 64 channels x 7 x 7 after two poolings
        3136
    """

    def __init__(self, in_channels: int = 1, channels=(32, 64), image_size: int = 28,
                 hidden: int = 128, out_features: int = 10, dropout: float = 0.25):
        super().__init__()
        channels = list(channels)
        if not channels:
            raise ValueError("CNN channels must list at least one conv block, e.g. (32, 64)")
        for name, value in [("in_channels", in_channels), ("image_size", image_size),
                            ("out_features", out_features),
                            *((f"channels[{i}]", c) for i, c in enumerate(channels))]:
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"CNN {name} must be a positive integer, got {value!r}")
        if not isinstance(hidden, int) or hidden < 0:
            raise ValueError(f"CNN hidden must be a non-negative integer, got {hidden!r}")
        if not 0 <= dropout < 1:
            raise ValueError(f"CNN dropout must be in [0, 1), got {dropout}")
        side = image_size // 2 ** len(channels)  # every block halves height and width
        if side < 1:
            raise ValueError(f"{len(channels)} pooling blocks shrink a {image_size}x{image_size} "
                             f"image to nothing; use fewer blocks or larger images")
        # Kept so a checkpoint can rebuild the same architecture: CNN(**model.config).
        self.config = dict(in_channels=in_channels, channels=channels, image_size=image_size,
                           hidden=hidden, out_features=out_features, dropout=dropout)
        blocks: list[nn.Module] = []
        for c_in, c_out in zip([in_channels, *channels], channels):
            blocks += [nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, bias=False),  # BN adds the bias
                       nn.BatchNorm2d(c_out), nn.ReLU(), nn.MaxPool2d(2)]
        # channels_last (N, H, W, C in memory) lets the CPU's oneDNN pick faster convolution
        # kernels: about 1.5x per epoch here, same results up to float rounding.
        self.features = nn.Sequential(*blocks).to(memory_format=torch.channels_last)
        self.flat_features = channels[-1] * side * side
        head: list[nn.Module] = [nn.Flatten()]
        width = self.flat_features
        if hidden:
            head += [Dropout(dropout), nn.Linear(width, hidden), nn.ReLU()]
            width = hidden
        head += [Dropout(dropout), nn.Linear(width, out_features)]
        self.classifier = nn.Sequential(*head)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c, s = self.config["in_channels"], self.config["image_size"]
        if x.dim() != 4 or tuple(x.shape[1:]) != (c, s, s):
            raise ValueError(f"CNN expected a batch of images of shape (batch, {c}, {s}, {s}), "
                             f"got shape {tuple(x.shape)}")
        x = x.contiguous(memory_format=torch.channels_last)
        return self.classifier(self.features(x))  # (B, C, H, W) -> (B, C', h, w) -> (B, classes)


def _check_positive(model: str, **values) -> None:
    for name, value in values.items():
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{model} {name} must be a positive integer, got {value!r}")


def _check_ids(ids: torch.Tensor, vocab_size: int, model: str) -> None:
    if ids.dim() != 2 or ids.dtype != torch.long:
        raise ValueError(f"{model} expects token ids of shape (batch, steps) and dtype torch.long, "
                         f"got shape {tuple(ids.shape)} and dtype {ids.dtype}")
    if ids.numel() and not 0 <= int(ids.min()) <= int(ids.max()) < vocab_size:
        raise ValueError(f"{model} got token ids outside 0..{vocab_size - 1} (its vocabulary size); "
                         "was the text encoded with the vocabulary this model was trained with?")


class CharLSTM(nn.Module):
    """A character-level language model: Embedding -> LSTM -> Dropout -> Linear, one logit per character.

    At every step the LSTM reads one character (as an embedding vector) and its own state,
    and the linear layer scores every character of the vocabulary as the next one.

    Args:
        vocab_size: number of distinct characters.
        embed: size of each character's embedding vector.
        hidden: size of the LSTM's hidden and cell state.
        layers: stacked LSTM layers.
        dropout: dropout probability on the LSTM's outputs (and between layers).

    ``forward(x, state=None)`` takes ids of shape ``(batch, steps)`` and the state from the
    previous call (None: zeros), and returns ``(logits, state)`` with logits of shape
    ``(batch, steps, vocab_size)``. There is no limit on the number of steps: the state
    carries everything the model remembers.

    Examples:
        >>> model = CharLSTM(vocab_size=65, embed=16, hidden=32)
        >>> logits, (h, c) = model(torch.zeros(4, 10, dtype=torch.long))
        >>> logits.shape, h.shape, c.shape
        (torch.Size([4, 10, 65]), torch.Size([1, 4, 32]), torch.Size([1, 4, 32]))
    """

    def __init__(self, vocab_size: int, embed: int = 64, hidden: int = 256, layers: int = 1,
                 dropout: float = 0.0):
        super().__init__()
        _check_positive("CharLSTM", vocab_size=vocab_size, embed=embed, hidden=hidden, layers=layers)
        if not 0 <= dropout < 1:
            raise ValueError(f"CharLSTM dropout must be in [0, 1), got {dropout}")
        self.config = dict(vocab_size=vocab_size, embed=embed, hidden=hidden, layers=layers, dropout=dropout)
        self.embedding = nn.Embedding(vocab_size, embed)
        self.lstm = nn.LSTM(embed, hidden, layers, batch_first=True, dropout=dropout if layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(hidden, vocab_size)

    def forward(self, x: torch.Tensor, state=None):
        _check_ids(x, self.config["vocab_size"], "CharLSTM")
        out, state = self.lstm(self.embedding(x), state)  # (B, T, E) -> (B, T, H)
        return self.fc(self.dropout(out)), state           # (B, T, vocab_size)


class SentimentRNN(nn.Module):
    """A review classifier: Embedding -> LSTM -> one vector per review -> Linear -> one logit.

    Reviews arrive as rows of token ids padded at the end with ``pad_id`` (see
    :func:`learntorch.data.pad_sequences`). The LSTM reads every row; ``pooling`` says which
    vector summarises the review:

    - ``"last"``: the LSTM's output at the review's last real token (the course's design);
    - ``"mean"``: the average of the outputs at every real token;
    - ``"attention"``: a weighted average of the outputs at every real token, the weights a
      softmax of each output's dot product with a learned query vector (dot-product
      attention with one query; padding gets weight 0). The scores are not divided by
      $\\sqrt{hidden}$: that keeps the scores of two *random* vectors small, but here the
      query is learned, and the division would only make it learn more slowly.

    The logit is positive for a positive review; train with ``nn.BCEWithLogitsLoss``.

    Args:
        vocab_size: number of token ids (the vocabulary's size).
        embed: size of each word's embedding vector.
        hidden: size of the LSTM's hidden state.
        pooling: ``"last"``, ``"mean"`` or ``"attention"``.
        dropout: dropout probability on the pooled vector.
        pad_id: the id used for padding (0 in :func:`~learntorch.data.pad_sequences`).

    Examples:
        >>> model = SentimentRNN(vocab_size=100, embed=8, hidden=16, pooling="attention")
        >>> ids = torch.tensor([[5, 6, 7], [8, 9, 0]])     # the second review has 2 tokens
        >>> model(ids).shape
        torch.Size([2])
        >>> model.attention_weights(ids)[1, 2].item()      # padding gets no attention
        0.0
    """

    POOLINGS = ("last", "mean", "attention")

    def __init__(self, vocab_size: int, embed: int = 64, hidden: int = 64, pooling: str = "last",
                 dropout: float = 0.0, pad_id: int = 0):
        super().__init__()
        _check_positive("SentimentRNN", vocab_size=vocab_size, embed=embed, hidden=hidden)
        if pooling not in self.POOLINGS:
            raise ValueError(f"SentimentRNN pooling must be one of {self.POOLINGS}, got {pooling!r}")
        if not 0 <= dropout < 1:
            raise ValueError(f"SentimentRNN dropout must be in [0, 1), got {dropout}")
        self.config = dict(vocab_size=vocab_size, embed=embed, hidden=hidden, pooling=pooling,
                           dropout=dropout, pad_id=pad_id)
        self.embedding = nn.Embedding(vocab_size, embed, padding_idx=pad_id)
        self.lstm = nn.LSTM(embed, hidden, batch_first=True)
        self.query = nn.Parameter(torch.randn(hidden) / hidden ** 0.5) if pooling == "attention" else None
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(hidden, 1)

    def _outputs(self, ids: torch.Tensor):
        """LSTM outputs ``(B, T, H)`` and the mask of real tokens ``(B, T)``."""
        _check_ids(ids, self.config["vocab_size"], "SentimentRNN")
        mask = ids != self.config["pad_id"]
        if not mask.any(dim=1).all():
            row = int((~mask.any(dim=1)).nonzero()[0])
            raise ValueError(f"review {row} has zero tokens (only padding); a model cannot classify nothing")
        out, _ = self.lstm(self.embedding(ids))
        return out, mask

    def _attention(self, out: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        scores = out @ self.query                                    # (B, T): one score per token
        return scores.masked_fill(~mask, float("-inf")).softmax(dim=1)

    def attention_weights(self, ids: torch.Tensor) -> torch.Tensor:
        """The attention weights ``(batch, steps)`` over each review's tokens (they sum to 1).

        Examples:
            >>> model = SentimentRNN(50, 4, 8, pooling="attention")
            >>> model.attention_weights(torch.tensor([[3, 4, 5, 0]])).sum().item()
            1.0
        """
        if self.query is None:
            raise ValueError("attention_weights needs a model built with pooling='attention'")
        with torch.no_grad():
            return self._attention(*self._outputs(ids))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        out, mask = self._outputs(ids)
        if self.config["pooling"] == "last":  # the output at each row's last real token
            last = mask.sum(dim=1) - 1
            pooled = out[torch.arange(len(ids)), last]                # (B, H)
        elif self.config["pooling"] == "mean":
            pooled = (out * mask.unsqueeze(2)).sum(dim=1) / mask.sum(dim=1, keepdim=True)  # (B, H)
        else:
            weights = self._attention(out, mask)                      # (B, T)
            pooled = (weights.unsqueeze(2) * out).sum(dim=1)          # (B, H)
        return self.fc(self.dropout(pooled)).squeeze(1)               # (B,)


# Name -> class, so a checkpoint can rebuild a model from its class name and config.
MODELS = {"MLP": MLP, "CNN": CNN, "CharLSTM": CharLSTM, "SentimentRNN": SentimentRNN}
