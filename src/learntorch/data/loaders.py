"""In-memory batching: whole datasets as tensors, sliced into batches without a DataLoader.

Fashion-MNIST is 60,000 x 28 x 28 bytes = 47 MB: it fits in memory many times over.
Converting every image once, instead of running PIL transforms per sample per epoch, is
what makes training here several times faster than a ``DataLoader`` over ``ToTensor()``.

Under ``torchrun`` (a ``torch.distributed`` process group with several processes), a
shuffling ``TensorLoader`` gives each process its own part of every epoch, as
``torch.utils.data.DistributedSampler`` does for a ``DataLoader``.
"""

from __future__ import annotations

import torch
import torch.distributed as dist

from learntorch._checks import (check_finite_number, check_finite_tensor, check_non_negative_int,
                                check_positive_int, check_positive_number, check_tensor)


def rank_and_world_size() -> tuple[int, int]:
    """This process's rank and the number of processes: ``(0, 1)`` outside ``torch.distributed``.

    Examples:
        >>> rank_and_world_size()  # a plain Python process: no process group
        (0, 1)
    """
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def shard_indices(order: torch.Tensor, rank: int, world_size: int) -> torch.Tensor:
    """The part of ``order`` (a permutation of sample indices) that process ``rank`` trains on.

    ``DistributedSampler``'s rule: repeat the start of ``order`` until its length is a
    multiple of ``world_size`` (so every process takes the same number of steps; DDP waits
    for all of them at every step), then give process ``r`` positions ``r, r + W, r + 2W, ...``.
    The parts are disjoint apart from that padding and together cover every index.

    Examples:
        >>> order = torch.tensor([4, 0, 3, 1, 2])
        >>> shard_indices(order, 0, 2), shard_indices(order, 1, 2)   # 5 samples: index 4 is used twice
        (tensor([4, 3, 2]), tensor([0, 1, 4]))
    """
    if not 0 <= rank < world_size:
        raise ValueError(f"rank must be in [0, {world_size}), got {rank}")
    per_rank = -(-len(order) // world_size)  # ceil(n / world_size)
    padded = order.repeat(-(-per_rank * world_size // len(order)))[:per_rank * world_size]
    return padded[rank::world_size]


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
    if mean is not None:  # checked before the work: a NaN std would silently make every pixel NaN
        mean, std = check_finite_number("mean", mean), check_positive_number("std", std)
    images = data.float().div(255).unsqueeze(1)  # (N, H, W) uint8 -> (N, 1, H, W) in [0, 1]
    if mean is not None:
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

    Under a ``torch.distributed`` process group of several processes, a shuffling loader
    (a training loader) draws the same order on every process, because every process seeds
    its generator with the same ``seed``, and yields only this process's part of it
    (:func:`shard_indices`).
    The generator moves on each epoch, so every epoch has a new order without the
    ``set_epoch`` call ``DistributedSampler`` needs (it reseeds with ``seed + epoch``). A
    loader that does not shuffle (an evaluation loader) yields everything on every process:
    ``evaluate`` then needs no communication and gives the same numbers on every rank.

    Examples:
        >>> loader = TensorLoader(torch.arange(10.0), torch.arange(10), batch_size=4)
        >>> [len(xb) for xb, yb in loader], len(loader)
        ([4, 4, 2], 3)
    """

    def __init__(self, x: torch.Tensor, y: torch.Tensor, batch_size: int = 64,
                 shuffle: bool = False, seed: int | None = None):
        # Checked here, not when first iterated: a NumPy array would fail only inside fit().
        check_tensor("TensorLoader x", x, hint="torch.as_tensor(x, dtype=torch.float32)")
        check_tensor("TensorLoader y", y, hint="torch.as_tensor(y, dtype=torch.long)")
        if x.dim() == 0 or y.dim() == 0:
            raise ValueError(f"TensorLoader x and y need one sample per row, got shapes "
                             f"{tuple(x.shape)} and {tuple(y.shape)}")
        if len(x) != len(y):
            raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
        if len(x) == 0:
            raise ValueError("TensorLoader got empty tensors; expected at least one sample")
        check_positive_int("batch_size", batch_size)
        if seed is not None:
            check_non_negative_int("seed", seed)
        check_finite_tensor("TensorLoader x", x)
        self.x, self.y = x, y
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = torch.Generator().manual_seed(seed) if seed is not None else None
        self.dataset = list(range(len(x)))  # so len(loader.dataset) works as with DataLoader

    def _world_size(self) -> int:
        """How many processes share each epoch: 1 unless shuffling under a process group."""
        world_size = rank_and_world_size()[1]
        if world_size > 1 and self.shuffle and self.generator is None:
            raise ValueError("a shuffling TensorLoader under torch.distributed needs seed=..., so "
                             "every process draws the same order and takes its own part of it")
        return world_size if self.shuffle else 1

    def __len__(self) -> int:
        samples = -(-len(self.x) // self._world_size())  # this process's share, rounded up
        return (samples + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        world_size = self._world_size()
        if not self.shuffle:  # consecutive slices are views: no copying at all
            yield from zip(self.x.split(self.batch_size), self.y.split(self.batch_size))
            return
        order = torch.randperm(len(self.x), generator=self.generator)
        if world_size > 1:
            order = shard_indices(order, rank_and_world_size()[0], world_size)
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
    check_tensor("x", x, hint="torch.as_tensor(x)")
    check_tensor("y", y, hint="torch.as_tensor(y)")
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    check_non_negative_int("seed", seed)
    if isinstance(val_fraction, bool) or not 0 < val_fraction < 1:
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
