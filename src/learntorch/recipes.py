"""Tuned training recipes: the settings that worked, kept in one small dataclass.

The course trains its Fashion-MNIST classifier with a ``DataLoader`` over PIL images, batch 64
and a constant learning rate: 84.6 % test accuracy after 3 epochs and 41 s. The recipe here
keeps the model a plain MLP and changes only how it is fed and stepped:

- the images live in memory as one normalised tensor (:class:`learntorch.data.TensorLoader`),
  so no per-sample PIL work happens during training;
- larger batches (256), so each matrix multiply does more work per Python-level step;
- Adam with a one-cycle schedule: the learning rate warms up, then anneals to almost zero,
  which lets a short run both move fast early and settle at the end.

``benchmarks/fmnist_mlp.py`` measures it; the CLI (``learntorch train fashion-mnist``) and the
Part 4 lesson both use :class:`FashionRecipe` and :func:`train`.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import asdict, dataclass

import torch
from torch import nn

from learntorch._checks import (check_class_indices, check_device, check_finite_weights, check_float_inputs,
                                check_non_negative_int, check_positive_int, check_positive_number, diverged)
from learntorch.data import TensorLoader
from learntorch.models import MLP
from learntorch.training import sum_over_ranks, distribute


@dataclass(frozen=True)
class FashionRecipe:
    """Hyperparameters of the tuned Fashion-MNIST MLP.

    Args:
        hidden: sizes of the hidden layers of the MLP (784 inputs, 10 classes).
        dropout: dropout probability after each hidden layer.
        batch_size: images per training batch.
        lr: the peak learning rate of the one-cycle schedule.
        epochs: passes over the 60,000 training images.
        seed: seeds the weights, the dropout masks and the batch order.

    Examples:
        >>> recipe = FashionRecipe(epochs=2)
        >>> recipe.epochs, recipe.model().config["hidden"] == list(recipe.hidden)
        (2, True)
    """

    hidden: tuple[int, ...] = (384, 192)
    dropout: float = 0.1  # light: in a 10-epoch run, heavier dropout costs accuracy
    batch_size: int = 256
    lr: float = 0.003
    epochs: int = 9  # chosen with benchmarks/fmnist_mlp.py; its JSON records accuracy and seconds
    seed: int = 0

    def __post_init__(self):
        for name in ("batch_size", "epochs"):
            check_positive_int(f"FashionRecipe {name}", getattr(self, name))
        check_positive_number("FashionRecipe lr", self.lr)
        check_non_negative_int("FashionRecipe seed", self.seed)
        MLP(784, self.hidden, 10, self.dropout)  # raises ValueError on a bad width or dropout

    def model(self) -> MLP:
        """A freshly initialised MLP of this recipe's shape (seed it first for repeatable weights)."""
        return MLP(784, self.hidden, 10, dropout=self.dropout)

    def optimizer(self, model: nn.Module) -> torch.optim.Adam:
        """Adam over ``model``'s parameters, starting at this recipe's learning rate.

        ``fused=True`` updates all parameters in one kernel instead of a handful of ops per
        tensor: the same algorithm, about a quarter less time per step at these sizes.
        """
        return torch.optim.Adam(model.parameters(), lr=self.lr, fused=True)

    def scheduler(self, optimizer: torch.optim.Optimizer, steps_per_epoch: int):
        """The one-cycle schedule: warm up to ``lr`` over the first 30 % of steps, then anneal.

        Call its ``step()`` after every ``optimizer.step()``, once per batch.
        """
        return torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=self.lr, epochs=self.epochs, steps_per_epoch=steps_per_epoch)

    def to_dict(self) -> dict:
        """The settings as a plain dict (for JSON output and checkpoint metadata)."""
        return {**asdict(self), "hidden": list(self.hidden)}


def train(recipe: FashionRecipe, x: torch.Tensor, y: torch.Tensor, device="cpu",
          max_batches: int | None = None) -> tuple[MLP, dict]:
    """Train a new model with ``recipe`` on in-memory images ``x`` and labels ``y``.

    Args:
        recipe: the hyperparameters.
        x: normalised images, float32 of shape ``(N, 1, 28, 28)`` (see ``data.as_tensors``).
        y: class indices, int64 of shape ``(N,)``.
        device: where to train; ``x`` and ``y`` are moved there once, not per batch.
        max_batches: stop each epoch after this many batches (a quick smoke run).

    Under ``torchrun`` (after ``training.init_distributed()``) each process trains on its part
    of every epoch and DDP averages the gradients; the history sums over all processes.

    Returns:
        tuple: ``(model, history)``, the trained model in evaluation mode and the history
            ``{"train_loss": [...], "train_accuracy": [...], "seconds": [...]}``, one entry per epoch.

    Examples:
        >>> x, y = torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))
        >>> model, history = train(FashionRecipe(hidden=(16,), epochs=2, batch_size=32), x, y)
        >>> len(history["train_loss"]), model.training
        (2, False)
    """
    if max_batches is not None:
        check_positive_int("max_batches", max_batches)
    if not isinstance(recipe, FashionRecipe):
        raise ValueError(f"recipe must be a FashionRecipe, got {type(recipe).__name__}")
    check_float_inputs("x", x)
    if x.dim() < 2 or x.shape[1:].numel() != 784 or len(x) != len(y):
        raise ValueError(f"x must be images of shape (N, 1, 28, 28) with one label each in y, got "
                         f"x {tuple(x.shape)} and y {tuple(getattr(y, 'shape', ()))}")
    check_class_indices("y", y, num_classes=10)
    device = check_device(device)
    torch.manual_seed(recipe.seed)  # the weights and the dropout masks
    model = recipe.model().to(device)
    net = distribute(model, device)  # DDP under torchrun (then each process takes part of each epoch)
    loader = TensorLoader(x.to(device), y.to(device), recipe.batch_size, shuffle=True, seed=recipe.seed)
    steps = min(len(loader), max_batches or len(loader))
    optimizer = recipe.optimizer(model)
    scheduler = recipe.scheduler(optimizer, steps)
    loss_fn = nn.CrossEntropyLoss()
    history = {"train_loss": [], "train_accuracy": [], "seconds": []}
    for epoch in range(1, recipe.epochs + 1):
        start = time.perf_counter()
        net.train()
        total_loss, correct, seen = 0.0, 0, 0
        for batch, (xb, yb) in enumerate(itertools.islice(loader, steps), 1):
            optimizer.zero_grad()
            logits = net(xb)                        # (B, 10)
            loss = loss_fn(logits, yb)
            loss.backward()
            optimizer.step()
            scheduler.step()                        # one-cycle changes the rate every batch
            value = loss.item()
            if not math.isfinite(value):  # stop at once: every later step would only spread the NaN
                raise diverged(f"the loss became {value} in epoch {epoch}, batch {batch}", recipe.lr)
            total_loss += value * len(yb)
            correct += (logits.argmax(dim=1) == yb).sum().item()
            seen += len(yb)
        check_finite_weights(model, recipe.lr, f" in epoch {epoch}")
        total_loss, correct, seen = sum_over_ranks(total_loss, correct, seen, device=device)
        history["seconds"].append(time.perf_counter() - start)
        history["train_loss"].append(total_loss / seen)
        history["train_accuracy"].append(correct / seen)
    return model.eval(), history
