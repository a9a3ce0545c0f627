"""In-memory batching: whole datasets as tensors, sliced into batches without a DataLoader.

Fashion-MNIST is 60,000 x 28 x 28 bytes = 47 MB: it fits in memory many times over.
Converting every image once, instead of running PIL transforms per sample per epoch, is
what makes training here several times faster than a ``DataLoader`` over ``ToTensor()``.
"""

from __future__ import annotations

import torch


def as_tensors(dataset, mean: float | None = None, std: float | None = None):
    """Return ``(images, labels)`` of a torchvision MNIST-style dataset as tensors.

    Images become float32 of shape ``(N, 1, H, W)`` scaled to [0, 1], then normalised
    with ``(x - mean) / std`` when both are given. Labels are int64 of shape ``(N,)``.

    Examples:
        >>> from learntorch.data import FASHION_MNIST_STATS, fashion_mnist
        >>> images, labels = as_tensors(fashion_mnist(train=False), *FASHION_MNIST_STATS)
        >>> images.shape, images.dtype, labels.shape
        (torch.Size([10000, 1, 28, 28]), torch.float32, torch.Size([10000]))
    """
    data = getattr(dataset, "data", None)
    targets = getattr(dataset, "targets", None)
    if not isinstance(data, torch.Tensor) or not isinstance(targets, (torch.Tensor, list)):
        raise ValueError(
            f"as_tensors expects a torchvision MNIST-style dataset with .data and .targets "
            f"tensors, got {type(dataset).__name__}"
        )
    if len(data) == 0:
        raise ValueError("as_tensors got an empty dataset")
    if (mean is None) != (std is None):
        raise ValueError("give both mean and std to normalise, or neither")
    images = data.float().div(255).unsqueeze(1)  # (N, H, W) uint8 -> (N, 1, H, W) in [0, 1]
    if mean is not None:
        if std <= 0:
            raise ValueError(f"std must be positive, got {std}")
        images = (images - mean) / std
    return images, torch.as_tensor(targets, dtype=torch.long)


class TensorLoader:
    """Iterate over ``(x, y)`` batches of in-memory tensors, like a ``DataLoader``.

    One ``torch.randperm`` per epoch and tensor slicing replace per-sample indexing and
    collation, which is where a ``DataLoader`` spends its time on small images.

    Args:
        x: inputs, one sample per row of the first dimension.
        y: labels, with the same first dimension as ``x``.
        batch_size: samples per batch (the last batch may be smaller).
        shuffle: draw a new order every epoch.
        seed: seed of the shuffling generator, so two runs see the same batches.

    Examples:
        >>> loader = TensorLoader(torch.arange(10.0), torch.arange(10), batch_size=4)
        >>> [len(xb) for xb, yb in loader], len(loader)
        ([4, 4, 2], 3)
    """

    def __init__(self, x: torch.Tensor, y: torch.Tensor, batch_size: int = 64,
                 shuffle: bool = False, seed: int | None = None):
        if len(x) != len(y):
            raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
        if len(x) == 0:
            raise ValueError("TensorLoader got empty tensors; expected at least one sample")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.x, self.y = x, y
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = torch.Generator().manual_seed(seed) if seed is not None else None
        self.dataset = list(range(len(x)))  # so len(loader.dataset) works as with DataLoader

    def __len__(self) -> int:
        return (len(self.x) + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        if not self.shuffle:  # consecutive slices are views: no copying at all
            yield from zip(self.x.split(self.batch_size), self.y.split(self.batch_size))
            return
        order = torch.randperm(len(self.x), generator=self.generator)
        for idx in order.split(self.batch_size):
            # index_select gathers one batch; it is ~2x quicker than x[idx], which goes
            # through the general advanced-indexing machinery. (.to is a no-op on the CPU;
            # it lets x and y live on a GPU.)
            yield (self.x.index_select(0, idx.to(self.x.device)),
                   self.y.index_select(0, idx.to(self.y.device)))


def train_val_split(x: torch.Tensor, y: torch.Tensor, val_fraction: float = 0.1, seed: int = 0):
    """Split tensors at random into ``(x_train, y_train), (x_val, y_val)``.

    The same ``seed`` always gives the same split, so validation numbers are comparable
    between runs.

    Examples:
        >>> (xt, yt), (xv, yv) = train_val_split(torch.arange(10), torch.arange(10), 0.2)
        >>> len(xt), len(xv), sorted(xt.tolist() + xv.tolist()) == list(range(10))
        (8, 2, True)
    """
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be between 0 and 1 (exclusive), got {val_fraction}")
    n_val = int(round(len(x) * val_fraction))
    if n_val == 0 or n_val == len(x):
        raise ValueError(f"val_fraction={val_fraction} of {len(x)} samples leaves one side empty")
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    val, train = order[:n_val], order[n_val:]
    return (x[train], y[train]), (x[val], y[val])


def sequence_batches(ids: torch.Tensor, batch_size: int, steps: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Cut one long sequence into ``(x, y)`` batches of shape ``(batch_size, steps)``; y is x shifted by one.

    The sequence is cut into ``batch_size`` equal rows, one under the other, and the batches
    are consecutive windows of ``steps`` columns. So row ``r`` of batch ``k + 1`` continues row
    ``r`` of batch ``k``: a recurrent network can carry its hidden state from one batch to the
    next. The ids that do not fill a whole batch at the end are dropped. The batches are views
    of ``ids``, not copies.

    Examples:
        >>> batches = sequence_batches(torch.arange(13), batch_size=2, steps=3)
        >>> len(batches)
        2
        >>> x, y = batches[0]
        >>> x.tolist(), y.tolist()
        ([[0, 1, 2], [6, 7, 8]], [[1, 2, 3], [7, 8, 9]])
        >>> batches[1][0].tolist()   # each row continues where it stopped
        [[3, 4, 5], [9, 10, 11]]
    """
    if ids.dim() != 1:
        raise ValueError(f"sequence_batches expects a 1-D tensor of ids, got shape {tuple(ids.shape)}")
    for name, value in [("batch_size", batch_size), ("steps", steps)]:
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    per_batch = batch_size * steps
    n_batches = (len(ids) - 1) // per_batch  # -1: the last x needs a next id as its target
    if n_batches == 0:
        raise ValueError(f"a sequence of {len(ids)} ids is too short for one batch of {batch_size} x {steps} "
                         f"(it needs at least {per_batch + 1}); use a smaller batch_size or steps")
    n = n_batches * per_batch
    x = ids[:n].view(batch_size, -1)       # (batch_size, n_batches * steps)
    y = ids[1:n + 1].view(batch_size, -1)  # the id after each x
    return [(x[:, k:k + steps], y[:, k:k + steps]) for k in range(0, x.shape[1], steps)]
