"""Train, evaluate and predict: the loop every lesson writes by hand first, in one place.

``fit`` is the plain PyTorch loop (zero_grad -> forward -> loss -> backward -> step) with
the bookkeeping a lesson needs around it: a validation pass each epoch, a history of
losses and accuracies, early stopping on validation loss, and a progress bar.

The same ``fit`` trains on several processes when a script runs under ``torchrun``: after
:func:`init_distributed`, it wraps the model in ``DistributedDataParallel`` (gradients are
averaged over the processes at every step), ``TensorLoader`` gives each process its part
of the data, and only rank 0 shows a progress bar.
"""

from __future__ import annotations

import copy
import math
import os
import sys
import time

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm  # not tqdm.auto: lessons run without ipywidgets, which it would warn about

from learntorch._checks import (TrainingDiverged, check_device, check_finite_tensor, check_finite_weights,  # noqa: F401
                                check_optimizer, check_positive_int, check_tensor, diverged)
# TrainingDiverged is imported for callers: `except learntorch.training.TrainingDiverged`.
from learntorch.data.loaders import rank_and_world_size


def default_device() -> torch.device:
    """The machine's accelerator (CUDA, MPS, XPU, ...) when it has one, otherwise the CPU.

    ``torch.accelerator`` knows which kind this build of PyTorch drives, so nothing here
    names a vendor.

    Examples:
        >>> device = default_device()
        >>> device.type == "cpu" or device.type == torch.accelerator.current_accelerator().type
        True
    """
    if torch.accelerator.is_available():
        accelerator = torch.accelerator.current_accelerator()
        return torch.device(accelerator.type, torch.accelerator.current_device_index())
    return torch.device("cpu")


def init_distributed() -> tuple[int, int]:
    """Join the process group ``torchrun`` set up, if any; return ``(rank, world_size)``.

    ``torchrun`` starts one process per worker and tells each its ``RANK``, ``LOCAL_RANK``
    and ``WORLD_SIZE`` through environment variables. With more than one worker this
    initialises ``torch.distributed`` with the backend PyTorch recommends for the device
    (gloo on the CPU, NCCL on NVIDIA GPUs) and, on an accelerator, gives each process on
    this machine its own device (``LOCAL_RANK``). In a plain ``python`` process it does
    nothing and returns ``(0, 1)``.

    Examples:
        >>> init_distributed()  # not started by torchrun
        (0, 1)
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size > 1 and not dist.is_initialized():
        if torch.accelerator.is_available():
            torch.accelerator.set_device_index(int(os.environ.get("LOCAL_RANK", "0")))
        pick = getattr(dist, "get_default_backend_for_device", None)  # older torch: let it choose
        dist.init_process_group(pick(default_device()) if pick else None)
    return rank_and_world_size()


def distribute(model: nn.Module, device) -> nn.Module:
    """``model`` wrapped in ``DistributedDataParallel`` under a process group, else ``model``.

    DDP copies rank 0's parameters to every process when it is built, then averages the
    gradients over the processes during every ``backward()``, so the optimizers, which
    all start from the same weights and apply the same averaged gradients, keep the
    copies identical. The wrapper shares ``model``'s parameters: training it trains ``model``.

    Examples:
        >>> model = nn.Linear(2, 2)
        >>> distribute(model, "cpu") is model  # one process: nothing to wrap
        True
    """
    if rank_and_world_size()[1] == 1 or isinstance(model, DistributedDataParallel):
        return model
    device = torch.device(device)
    return DistributedDataParallel(model, device_ids=None if device.type == "cpu" else [device])


def sum_over_ranks(*numbers: float, device="cpu") -> tuple:
    """``numbers`` summed over every process with one all-reduce; unchanged in a single process.

    Each process of a distributed run counts the loss and the correct answers of its own
    part of the data; their sums over all processes describe the whole epoch.

    Examples:
        >>> sum_over_ranks(2.5, 7, 10)  # one process: the numbers come back as they are
        (2.5, 7, 10)
    """
    if rank_and_world_size()[1] == 1:
        return numbers
    total = torch.tensor(numbers, dtype=torch.float64, device=device)
    dist.all_reduce(total)  # default op: sum; every process receives the result
    return tuple(total.tolist())


def _check_batch(xb: torch.Tensor, yb: torch.Tensor, weights_dtype: torch.dtype | None) -> None:
    if not isinstance(xb, torch.Tensor) or not isinstance(yb, torch.Tensor):
        raise ValueError(f"the loader must yield (inputs, labels) tensors, got ({type(xb).__name__}, "
                         f"{type(yb).__name__}); wrap tensors in learntorch.data.TensorLoader(x, y)")
    if not xb.is_floating_point():
        raise ValueError(f"inputs must be floating point (e.g. float32), got dtype {xb.dtype}; "
                         "convert them with x.float()")
    if weights_dtype is not None and xb.dtype != weights_dtype:
        raise ValueError(f"inputs are {xb.dtype} but the model's weights are {weights_dtype}; "
                         "convert the inputs with x.float() (or the model with model.to(x.dtype))")
    if yb.dtype != torch.long:
        raise ValueError(f"labels must be class indices of dtype torch.long, got {yb.dtype}; "
                         "convert them with y.long()")


def _check_model_and_loader(model, loader, name: str) -> None:
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be an nn.Module, got {type(model).__name__}")
    if isinstance(loader, torch.Tensor) or not hasattr(loader, "__iter__"):
        raise ValueError(f"{name} must yield (inputs, labels) batches, e.g. "
                         f"learntorch.data.TensorLoader(x, y, batch_size=64), got {type(loader).__name__}")


def _weights_dtype(model: nn.Module) -> torch.dtype | None:
    param = next(model.parameters(), None)
    return param.dtype if param is not None and param.is_floating_point() else None


def _model_device(model: nn.Module) -> torch.device:
    param = next(model.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


def _loss(loss_fn, logits: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
    """``loss_fn(logits, yb)``, with labels the model cannot output named as the culprit."""
    try:
        return loss_fn(logits, yb)
    except IndexError:  # cross-entropy's "Target 5 is out of bounds."
        n = logits.shape[-1]
        raise ValueError(f"labels must be class indices in 0..{n - 1} for a model with {n} outputs, "
                         f"got values from {yb.min().item()} to {yb.max().item()}; fix the labels, or "
                         "give the model one output per class") from None


def _lr(optimizer):
    return optimizer.param_groups[0].get("lr") if optimizer is not None else None


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
    dtype = _weights_dtype(model)
    # Running sums stay tensors: calling .item() every batch would make the CPU wait for
    # the GPU each step (and costs ~10% of an epoch even on the CPU for a small model).
    total_loss = torch.zeros((), device=device)
    correct, seen = torch.zeros((), dtype=torch.long, device=device), 0
    for xb, yb in loader:
        _check_batch(xb, yb, dtype)
        xb, yb = xb.to(device), yb.to(device)
        optimizer.zero_grad()  # gradients accumulate by default: clear last batch's
        logits = model(xb)
        loss = _loss(loss_fn, logits, yb)
        loss.backward()
        optimizer.step()
        total_loss.add_(loss.detach(), alpha=len(yb))  # detach: bookkeeping, not part of the graph
        correct.add_(logits.detach().argmax(dim=1).eq(yb).sum())
        seen += len(yb)
        if progress is not None:
            progress.update(1)
    # Under DDP each process saw its own part of the data: add up all of them.
    total_loss, correct, seen = sum_over_ranks(total_loss.item(), correct.item(), seen, device=device)
    if seen == 0:
        raise ValueError("the training loader yielded no batches; is the dataset empty?")
    if not math.isfinite(total_loss):  # one NaN/inf batch loss makes the sum non-finite
        raise diverged(f"the training loss became {total_loss}", _lr(optimizer))
    check_finite_weights(model, _lr(optimizer))  # e.g. one huge step after the last batch's (finite) loss
    return {"loss": total_loss / seen, "accuracy": correct / seen}


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
    _check_model_and_loader(model, loader, "loader")
    device = check_device(device) if device is not None else _model_device(model)
    dtype = _weights_dtype(model)
    was_training = model.training
    model.eval()  # dropout off: every unit takes part, as at inference time
    total_loss, correct, seen = 0.0, 0, 0
    for xb, yb in loader:
        _check_batch(xb, yb, dtype)
        xb, yb = xb.to(device), yb.to(device)
        logits = model(xb)
        total_loss += _loss(loss_fn, logits, yb).item() * len(yb)
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
    check_tensor("x", x, hint="torch.as_tensor(x, dtype=torch.float32)")
    if not x.is_floating_point():
        raise ValueError(f"predict expects a floating-point tensor x, got dtype {x.dtype}; "
                         "convert it with x.float()")
    if x.dim() == 0 or len(x) == 0:
        raise ValueError(f"predict got an empty batch (shape {tuple(x.shape)}); expected at least one input")
    check_finite_tensor("x", x)  # a NaN or inf input gives NaN probabilities, silently
    batch_size = check_positive_int("batch_size", batch_size)
    device = check_device(device) if device is not None else _model_device(model)
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

    Under ``torchrun`` (after :func:`init_distributed`) every process calls ``fit`` with
    the same arguments: the model trains wrapped in ``DistributedDataParallel``, the
    training loss and accuracy are summed over all processes (so the history is the same
    on every rank), and only rank 0 draws the progress bar.

    Returns:
        dict: the history, one entry per epoch run: ``train_loss``, ``train_accuracy``,
            ``val_loss`` and ``val_accuracy`` (lists; the ``val_`` ones stay empty without
            ``val_loader``), ``seconds`` (list), ``best_epoch`` (int or None) and
            ``stopped_early`` (bool).

    Raises:
        ValueError: a bad argument, named in the message (an optimizer over another model's
            parameters, a non-finite learning rate, labels the model cannot output, ...).
        TrainingDiverged: the loss or the weights became NaN or infinite (a ``ValueError``
            too); the message says to lower the learning rate.

    Examples:
        >>> from learntorch.data import TensorLoader
        >>> _ = torch.manual_seed(0)
        >>> x = torch.randn(64, 2); y = (x[:, 0] > 0).long()
        >>> model = nn.Linear(2, 2)
        >>> history = fit(model, TensorLoader(x, y, 16), torch.optim.SGD(model.parameters(), 0.5), 5)
        >>> history["train_loss"][-1] < history["train_loss"][0]
        True
    """
    _check_model_and_loader(model, train_loader, "train_loader")
    if val_loader is not None:
        _check_model_and_loader(model, val_loader, "val_loader")
    check_positive_int("epochs", epochs)
    check_optimizer(optimizer, model)  # another model's optimizer would "train" nothing, silently
    if patience is not None:
        check_positive_int("patience", patience)
        if val_loader is None:
            raise ValueError("early stopping (patience=...) needs a val_loader to watch")
    device = check_device(device) if device is not None else _model_device(model)
    model.to(device)
    net = distribute(model, device)  # DDP under torchrun; model itself otherwise
    history = {"train_loss": [], "train_accuracy": [], "val_loss": [], "val_accuracy": [],
               "seconds": [], "best_epoch": None, "stopped_early": False}
    best_loss, best_state, waited = math.inf, None, 0
    show = sys.stderr.isatty() if progress is None else progress
    show = show and rank_and_world_size()[0] == 0  # one bar, not one per process
    with tqdm(total=epochs * len(train_loader), disable=not show, unit="batch") as bar:
        for epoch in range(epochs):
            start = time.perf_counter()
            train = train_epoch(net, train_loader, optimizer, device, loss_fn, bar)
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
