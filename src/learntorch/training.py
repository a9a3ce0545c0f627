"""Train, evaluate and predict: the loop every lesson writes by hand first, in one place.

``fit`` is the plain PyTorch loop (zero_grad -> forward -> loss -> backward -> step) with
the bookkeeping a lesson needs around it: a validation pass each epoch, a history of
losses and accuracies, early stopping on validation loss, and a progress bar.
"""

from __future__ import annotations

import copy
import math
import sys
import time

import torch
from torch import nn
from tqdm import tqdm  # not tqdm.auto: lessons run without ipywidgets, which it would warn about


def default_device() -> torch.device:
    """CUDA when a GPU is available, otherwise the CPU.

    Examples:
        >>> default_device().type in {"cpu", "cuda"}
        True
    """
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _check_batch(xb: torch.Tensor, yb: torch.Tensor) -> None:
    if not xb.is_floating_point():
        raise ValueError(f"inputs must be floating point (e.g. float32), got dtype {xb.dtype}")
    if yb.dtype != torch.long:
        raise ValueError(f"labels must be class indices of dtype torch.long, got {yb.dtype}")


def train_epoch(model: nn.Module, loader, optimizer: torch.optim.Optimizer, device,
                loss_fn=nn.CrossEntropyLoss(), progress=None) -> dict:
    """One pass over ``loader`` in training mode; returns mean ``loss`` and ``accuracy``.

    Examples:
        >>> from learntorch.data import TensorLoader
        >>> model = nn.Linear(2, 2)
        >>> loader = TensorLoader(torch.randn(8, 2), torch.zeros(8, dtype=torch.long), batch_size=4)
        >>> sgd = torch.optim.SGD(model.parameters(), lr=0.1)
        >>> sorted(train_epoch(model, loader, sgd, "cpu"))
        ['accuracy', 'loss']
    """
    model.train()  # dropout on, batch-norm uses batch statistics
    # Running sums stay tensors: calling .item() every batch would make the CPU wait for
    # the GPU each step (and costs ~10% of an epoch even on the CPU for a small model).
    total_loss = torch.zeros((), device=device)
    correct, seen = torch.zeros((), dtype=torch.long, device=device), 0
    for xb, yb in loader:
        _check_batch(xb, yb)
        xb, yb = xb.to(device), yb.to(device)
        optimizer.zero_grad()  # gradients accumulate by default: clear last batch's
        logits = model(xb)
        loss = loss_fn(logits, yb)
        loss.backward()
        optimizer.step()
        total_loss.add_(loss.detach(), alpha=len(yb))  # detach: bookkeeping, not part of the graph
        correct.add_(logits.detach().argmax(dim=1).eq(yb).sum())
        seen += len(yb)
        if progress is not None:
            progress.update(1)
    if seen == 0:
        raise ValueError("the training loader yielded no batches; is the dataset empty?")
    total_loss = total_loss.item()
    if not math.isfinite(total_loss):  # one NaN/inf batch loss makes the sum non-finite
        raise ValueError(f"training loss became {total_loss}; lower the learning rate "
                         "or check the inputs for NaN/inf")
    return {"loss": total_loss / seen, "accuracy": correct.item() / seen}


@torch.no_grad()  # no graph: evaluation needs no gradients, and this saves memory and time
def evaluate(model: nn.Module, loader, device=None, loss_fn=nn.CrossEntropyLoss()) -> dict:
    """Mean ``loss`` and ``accuracy`` of ``model`` over ``loader``, in evaluation mode.

    Examples:
        >>> from learntorch.data import TensorLoader
        >>> model = nn.Linear(2, 2)
        >>> loader = TensorLoader(torch.randn(8, 2), torch.zeros(8, dtype=torch.long), batch_size=4)
        >>> sorted(evaluate(model, loader))
        ['accuracy', 'loss']
    """
    device = device or next(model.parameters()).device
    was_training = model.training
    model.eval()  # dropout off: every unit takes part, as at inference time
    total_loss, correct, seen = 0.0, 0, 0
    for xb, yb in loader:
        _check_batch(xb, yb)
        xb, yb = xb.to(device), yb.to(device)
        logits = model(xb)
        total_loss += loss_fn(logits, yb).item() * len(yb)
        correct += (logits.argmax(dim=1) == yb).sum().item()
        seen += len(yb)
    model.train(was_training)
    if seen == 0:
        raise ValueError("the evaluation loader yielded no batches; is the dataset empty?")
    return {"loss": total_loss / seen, "accuracy": correct / seen}


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, device=None, batch_size: int = 1024) -> torch.Tensor:
    """Class probabilities of shape ``(N, classes)`` for a batch of inputs ``x``.

    Examples:
        >>> probs = predict(nn.Linear(3, 4), torch.randn(5, 3))
        >>> probs.shape, bool(torch.allclose(probs.sum(dim=1), torch.ones(5)))
        (torch.Size([5, 4]), True)
    """
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise ValueError(f"predict expects a floating-point tensor, got {getattr(x, 'dtype', type(x))}")
    if len(x) == 0:
        raise ValueError("predict got an empty batch; expected at least one input")
    if torch.isnan(x).any():
        raise ValueError("predict got NaN in its inputs")
    device = device or next(model.parameters()).device
    was_training = model.training
    model.eval()
    probs = [torch.softmax(model(xb.to(device)), dim=1).cpu() for xb in x.split(batch_size)]
    model.train(was_training)
    return torch.cat(probs)


def fit(model: nn.Module, train_loader, optimizer: torch.optim.Optimizer, epochs: int,
        device=None, val_loader=None, loss_fn=nn.CrossEntropyLoss(), patience: int | None = None,
        progress: bool | None = None) -> dict:
    """Train ``model`` for up to ``epochs`` epochs and return its history.

    Args:
        model: the network to train; it is moved to ``device``.
        train_loader: yields ``(inputs, labels)`` batches.
        optimizer: updates the model's parameters, e.g. ``torch.optim.Adam``.
        epochs: the most epochs to run.
        device: where to train (default: the model's current device).
        val_loader: evaluated after every epoch when given.
        loss_fn: the criterion, ``nn.CrossEntropyLoss()`` by default (the model gives logits).
        patience: with ``val_loader``, stop after this many epochs without a new best
            validation loss and restore the best weights (early stopping).
        progress: show a tqdm bar; by default only when stderr is a terminal.

    Returns:
        dict: the history, one entry per epoch run: ``train_loss``, ``train_accuracy``,
            ``val_loss`` and ``val_accuracy`` (lists; the ``val_`` ones stay empty without
            ``val_loader``), ``seconds`` (list), ``best_epoch`` (int or None) and
            ``stopped_early`` (bool).

    Examples:
        >>> from learntorch.data import TensorLoader
        >>> _ = torch.manual_seed(0)
        >>> x = torch.randn(64, 2); y = (x[:, 0] > 0).long()
        >>> model = nn.Linear(2, 2)
        >>> history = fit(model, TensorLoader(x, y, 16), torch.optim.SGD(model.parameters(), 0.5), 5)
        >>> history["train_loss"][-1] < history["train_loss"][0]
        True
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if patience is not None and val_loader is None:
        raise ValueError("early stopping (patience=...) needs a val_loader to watch")
    device = torch.device(device) if device is not None else next(model.parameters()).device
    model.to(device)
    history = {"train_loss": [], "train_accuracy": [], "val_loss": [], "val_accuracy": [],
               "seconds": [], "best_epoch": None, "stopped_early": False}
    best_loss, best_state, waited = math.inf, None, 0
    show = sys.stderr.isatty() if progress is None else progress
    with tqdm(total=epochs * len(train_loader), disable=not show, unit="batch") as bar:
        for epoch in range(epochs):
            start = time.perf_counter()
            train = train_epoch(model, train_loader, optimizer, device, loss_fn, bar)
            history["seconds"].append(time.perf_counter() - start)
            history["train_loss"].append(train["loss"])
            history["train_accuracy"].append(train["accuracy"])
            if val_loader is None:
                continue
            val = evaluate(model, val_loader, device, loss_fn)
            history["val_loss"].append(val["loss"])
            history["val_accuracy"].append(val["accuracy"])
            bar.set_postfix(train_loss=f"{train['loss']:.3f}", val_loss=f"{val['loss']:.3f}")
            if val["loss"] < best_loss:
                best_loss, waited, history["best_epoch"] = val["loss"], 0, epoch
                best_state = copy.deepcopy(model.state_dict())
            else:
                waited += 1
                if patience is not None and waited >= patience:
                    history["stopped_early"] = True
                    break
    if patience is not None and best_state is not None:
        model.load_state_dict(best_state)  # early stopping keeps the best epoch's weights
    return history
