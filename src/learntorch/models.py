"""Models the lessons train: a fully-connected classifier, a small CNN, a GAN's two networks, and two recurrent networks."""

from __future__ import annotations

import torch
from torch import nn

from learntorch._checks import (check_float_inputs, check_non_negative_int, check_positive_int, check_probability,
                                check_tensor)


def _sizes(name: str, value, example: str) -> list:
    """Layer sizes as a list; a lone number (``hidden=256``) is refused with the fix."""
    if isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a sequence of layer sizes such as {example}, got the number "
                         f"{value!r}; for one layer write ({value!r},)")
    try:
        return list(value)
    except TypeError:
        raise ValueError(f"{name} must be a sequence of layer sizes such as {example}, "
                         f"got {type(value).__name__}") from None


class MLP(nn.Module):
    """A fully-connected classifier: flatten, then Linear -> ReLU -> ``nn.Dropout`` per hidden layer.

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
        hidden = _sizes("MLP hidden", hidden, example="(256, 128)")
        for name, value in [("in_features", in_features), ("out_features", out_features), *(
                (f"hidden[{i}]", h) for i, h in enumerate(hidden))]:
            check_positive_int(f"MLP {name}", value)
        check_probability("MLP dropout", dropout)
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
        check_float_inputs("x", x, self.layers[-1].weight.dtype)  # not Torch's "mat1 and mat2" error
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
        channels = _sizes("CNN channels", channels, example="(32, 64)")
        if not channels:
            raise ValueError("CNN channels must list at least one conv block, e.g. (32, 64)")
        for name, value in [("in_channels", in_channels), ("image_size", image_size),
                            ("out_features", out_features),
                            *((f"channels[{i}]", c) for i, c in enumerate(channels))]:
            check_positive_int(f"CNN {name}", value)
        check_non_negative_int("CNN hidden", hidden)
        check_probability("CNN dropout", dropout)
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
            head += [nn.Dropout(dropout), nn.Linear(width, hidden), nn.ReLU()]
            width = hidden
        head += [nn.Dropout(dropout), nn.Linear(width, out_features)]
        self.classifier = nn.Sequential(*head)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_float_inputs("x", x, self.classifier[-1].weight.dtype)
        c, s = self.config["in_channels"], self.config["image_size"]
        if x.dim() != 4 or tuple(x.shape[1:]) != (c, s, s):
            raise ValueError(f"CNN expected a batch of images of shape (batch, {c}, {s}, {s}), "
                             f"got shape {tuple(x.shape)}")
        x = x.contiguous(memory_format=torch.channels_last)
        return self.classifier(self.features(x))  # (B, C, H, W) -> (B, C', h, w) -> (B, classes)


def _gan_sizes(owner: str, hidden, dropout: float, **sizes) -> list[int]:
    """Check a GAN network's sizes and dropout the same way MLP and CNN do; return ``hidden``."""
    hidden = _sizes(f"{owner} hidden", hidden, example="(32, 64)")
    if not hidden:
        raise ValueError(f"{owner} hidden must list at least one layer width, e.g. (32, 64)")
    for name, value in [*sizes.items(), *((f"hidden[{i}]", h) for i, h in enumerate(hidden))]:
        check_positive_int(f"{owner} {name}", value)
    check_probability(f"{owner} dropout", dropout)
    return hidden


def _leaky_stack(sizes: list[int], dropout: float) -> list[nn.Module]:
    """Linear -> LeakyReLU(0.2) -> Dropout between consecutive ``sizes``."""
    layers: list[nn.Module] = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        # Leaky: a small slope for negative inputs keeps gradients flowing to every unit,
        # which matters when the only signal is another network's opinion.
        layers += [nn.Linear(n_in, n_out), nn.LeakyReLU(0.2)]
        if dropout:
            layers.append(nn.Dropout(dropout))
    return layers


class Generator(nn.Module):
    """A GAN's fully-connected generator: a latent vector ``(N, latent_size)`` -> images ``(N, 1, S, S)``.

    Linear -> LeakyReLU(0.2) -> Dropout for each hidden layer (widening: 32, 64, 128 by
    default), then a Linear layer to ``S * S`` pixels and ``tanh``, so pixels lie in
    (-1, 1): real images must be scaled to that range too.

    Args:
        latent_size: length of the random vector each image is made from.
        hidden: widths of the hidden layers.
        image_size: side ``S`` of the square, one-channel output images.
        dropout: dropout probability after each hidden layer (training mode only).

    Examples:
        >>> g = Generator(latent_size=100)
        >>> images = g(torch.rand(5, 100) * 2 - 1)
        >>> images.shape, bool(images.abs().max() < 1)
        (torch.Size([5, 1, 28, 28]), True)
    """

    def __init__(self, latent_size: int = 100, hidden=(32, 64, 128), image_size: int = 28,
                 dropout: float = 0.3):
        super().__init__()
        hidden = _gan_sizes("Generator", hidden, dropout, latent_size=latent_size, image_size=image_size)
        self.config = dict(latent_size=latent_size, hidden=hidden, image_size=image_size, dropout=dropout)
        self.layers = nn.Sequential(
            *_leaky_stack([latent_size, *hidden], dropout),
            nn.Linear(hidden[-1], image_size * image_size), nn.Tanh(),
            nn.Unflatten(1, (1, image_size, image_size)),   # (N, S*S) -> (N, 1, S, S)
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        z = check_float_inputs("latent vectors", z)
        if z.dim() != 2 or z.shape[1] != self.config["latent_size"]:
            raise ValueError(f"Generator expected latent vectors of shape (batch, {self.config['latent_size']}), "
                             f"got shape {tuple(z.shape)}")
        return self.layers(z)


class Discriminator(nn.Module):
    """A GAN's fully-connected discriminator: images ``(N, 1, S, S)`` -> one logit each, ``(N,)``.

    A classifier of real (logit > 0) versus generated (logit < 0): Linear -> LeakyReLU(0.2)
    -> Dropout for each hidden layer (narrowing: 128, 64, 32 by default), then one output.
    It returns logits; ``nn.BCEWithLogitsLoss`` applies the sigmoid itself.

    Examples:
        >>> d = Discriminator()
        >>> d(torch.zeros(5, 1, 28, 28)).shape
        torch.Size([5])
    """

    def __init__(self, image_size: int = 28, hidden=(128, 64, 32), dropout: float = 0.3):
        super().__init__()
        hidden = _gan_sizes("Discriminator", hidden, dropout, image_size=image_size)
        self.config = dict(image_size=image_size, hidden=hidden, dropout=dropout)
        self.layers = nn.Sequential(
            nn.Flatten(), *_leaky_stack([image_size * image_size, *hidden], dropout),
            nn.Linear(hidden[-1], 1), nn.Flatten(0),        # (N, 1) -> (N,)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = check_float_inputs("images", x)
        s = self.config["image_size"]
        if x.dim() != 4 or tuple(x.shape[1:]) != (1, s, s):
            raise ValueError(f"Discriminator expected images of shape (batch, 1, {s}, {s}), got shape {tuple(x.shape)}")
        return self.layers(x)


def _check_positive(model: str, **values) -> None:
    for name, value in values.items():
        check_positive_int(f"{model} {name}", value)


def _check_ids(ids: torch.Tensor, vocab_size: int, model: str) -> None:
    ids = check_tensor(f"{model} token ids", ids, "torch.tensor(ids, dtype=torch.long)")
    if ids.dim() != 2 or ids.dtype != torch.long:
        raise ValueError(f"{model} expects token ids of shape (batch, steps) and dtype torch.long, "
                         f"got shape {tuple(ids.shape)} and dtype {ids.dtype}; a single sequence "
                         "is ids.unsqueeze(0), and ids.long() converts the dtype")
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
        check_probability("CharLSTM dropout", dropout)
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
        check_non_negative_int("SentimentRNN pad_id", pad_id)
        if pooling not in self.POOLINGS:
            raise ValueError(f"SentimentRNN pooling must be one of {self.POOLINGS}, got {pooling!r}")
        check_probability("SentimentRNN dropout", dropout)
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
            pooled = out[torch.arange(len(ids), device=ids.device), last]   # (B, H)
        elif self.config["pooling"] == "mean":
            pooled = (out * mask.unsqueeze(2)).sum(dim=1) / mask.sum(dim=1, keepdim=True)  # (B, H)
        else:
            weights = self._attention(out, mask)                      # (B, T)
            pooled = (weights.unsqueeze(2) * out).sum(dim=1)          # (B, H)
        return self.fc(self.dropout(pooled)).squeeze(1)               # (B,)


# Name -> class, so a checkpoint can rebuild a model from its class name and config.
MODELS = {"MLP": MLP, "CNN": CNN, "Generator": Generator,  # the GAN checkpoint is its generator
          "CharLSTM": CharLSTM, "SentimentRNN": SentimentRNN}
