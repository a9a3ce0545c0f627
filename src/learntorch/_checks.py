"""Argument checks shared by the library's public functions: one line each, naming the culprit.

Every check raises ``ValueError`` with a message that says which argument was wrong, what it
was, and what would be right, so a learner's mistake stops at the call that made it instead of
deep inside PyTorch ("mat1 and mat2 must have the same dtype"). One exception type keeps the
callers simple: the CLI turns any ``ValueError`` into a one-line error and exit status 2.

Checks return the value they accept (converted where that is unambiguous, e.g. a device name
to a ``torch.device``), so a call site reads ``batch_size = check_positive_int("batch_size", batch_size)``.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import torch


def _shown(value) -> str:
    """``value`` as a message shows it: its repr, and its type when the repr hides it."""
    text = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    return f"{text} (a bool)" if isinstance(value, bool) else text


def check_positive_int(name: str, value) -> int:
    """``value`` if it is an integer >= 1 (bools are refused: ``True`` is not a size).

    Examples:
        >>> check_positive_int("batch_size", 64)
        64
        >>> check_positive_int("batch_size", True)
        Traceback (most recent call last):
        ValueError: batch_size must be a positive integer, got True (a bool)
    """
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {_shown(value)}")
    return int(value)


def check_non_negative_int(name: str, value) -> int:
    """``value`` if it is an integer >= 0 (not a bool).

    Examples:
        >>> check_non_negative_int("seed", 0)
        0
        >>> check_non_negative_int("seed", -1)
        Traceback (most recent call last):
        ValueError: seed must be an integer >= 0, got -1
    """
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {_shown(value)}")
    return int(value)


def check_finite_number(name: str, value) -> float:
    """``value`` as a float if it is a real, finite number (not NaN, not inf, not a bool).

    Examples:
        >>> check_finite_number("mean", 0.5)
        0.5
        >>> check_finite_number("mean", float("inf"))
        Traceback (most recent call last):
        ValueError: mean must be a finite number, got inf
    """
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {_shown(value)}")
    return float(value)


def check_positive_number(name: str, value) -> float:
    """``value`` as a float if it is finite and > 0.

    Examples:
        >>> check_positive_number("std", 0.35)
        0.35
        >>> check_positive_number("std", float("nan"))
        Traceback (most recent call last):
        ValueError: std must be a positive, finite number, got nan
    """
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if (isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value)
            or value <= 0):
        raise ValueError(f"{name} must be a positive, finite number, got {_shown(value)}")
    return float(value)


def check_probability(name: str, value) -> float:
    """``value`` if it is a number in [0, 1), as dropout's ``p`` must be.

    Examples:
        >>> check_probability("dropout", 0.2)
        0.2
        >>> check_probability("dropout", 1.0)
        Traceback (most recent call last):
        ValueError: dropout must be in [0, 1), got 1.0
    """
    if isinstance(value, bool) or not isinstance(value, Real) or not 0 <= value < 1:
        raise ValueError(f"{name} must be in [0, 1), got {_shown(value)}")
    return float(value)


def check_tensor(name: str, value, hint: str = "torch.as_tensor(...)") -> torch.Tensor:
    """``value`` if it is a ``torch.Tensor``; a NumPy array or a list gets the conversion to use.

    Examples:
        >>> check_tensor("x", [1.0, 2.0], hint="torch.tensor(x)")
        Traceback (most recent call last):
        ValueError: x must be a torch.Tensor, got a list; convert it first: torch.tensor(x)
    """
    if not isinstance(value, torch.Tensor):
        kind = type(value).__module__.split(".")[0] + "." + type(value).__qualname__
        kind = kind.removeprefix("builtins.")
        raise ValueError(f"{name} must be a torch.Tensor, got a {kind}; convert it first: {hint}")
    return value


def check_float_inputs(name: str, x, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``x`` if it is a tensor of ``dtype`` (the model's weights' dtype); else say how to convert.

    Examples:
        >>> check_float_inputs("x", torch.zeros(2, 3)).dtype
        torch.float32
        >>> check_float_inputs("x", torch.zeros(2, 3, dtype=torch.uint8))
        Traceback (most recent call last):
        ValueError: x must be a float32 tensor, got dtype torch.uint8; convert with x.float() (and scale pixel values 0..255 to [0, 1] with x.float() / 255)
    """
    x = check_tensor(name, x, hint=f"torch.as_tensor({name}, dtype=torch.float32)")
    if x.dtype != dtype:
        fix = {torch.float32: ".float()", torch.float64: ".double()",
               torch.float16: ".half()", torch.bfloat16: ".bfloat16()"}.get(dtype, f".to({dtype})")
        scale = (f" (and scale pixel values 0..255 to [0, 1] with {name}.float() / 255)"
                 if x.dtype == torch.uint8 else "")
        raise ValueError(f"{name} must be a {str(dtype).removeprefix('torch.')} tensor, got dtype "
                         f"{x.dtype}; convert with {name}{fix}{scale}")
    return x


def check_finite_tensor(name: str, x: torch.Tensor) -> torch.Tensor:
    """``x`` if none of its values is NaN or infinite; else say how many and where the first is.

    Examples:
        >>> check_finite_tensor("x", torch.tensor([[0.0, float("inf")]]))
        Traceback (most recent call last):
        ValueError: x holds 1 NaN/inf value(s), the first at index (0, 1) (inf); replace or drop them before this call
    """
    if x.is_floating_point() or x.is_complex():
        if torch.isfinite(x.sum()):  # one fast pass: a NaN or inf anywhere makes the sum non-finite
            return x
        bad = ~torch.isfinite(x)
        if bad.any():
            first = tuple(torch.nonzero(bad)[0].tolist())  # (the sum may also just have overflowed)
            raise ValueError(f"{name} holds {int(bad.sum())} NaN/inf value(s), the first at index "
                             f"{first} ({x[first].item()}); replace or drop them before this call")
    return x


def check_class_indices(name: str, y, num_classes: int | None = None) -> torch.Tensor:
    """``y`` if it holds whole class indices in ``0..num_classes - 1`` (any integer dtype).

    Examples:
        >>> check_class_indices("targets", torch.tensor([0, 2, 1]), 3).tolist()
        [0, 2, 1]
        >>> check_class_indices("targets", torch.tensor([0, 3]), 3)
        Traceback (most recent call last):
        ValueError: targets must be class indices in 0..2, got values from 0 to 3
        >>> check_class_indices("targets", torch.tensor([0.5]))
        Traceback (most recent call last):
        ValueError: targets must be whole class indices, got 0.5; round them or fix the labels
    """
    y = check_tensor(name, y, hint=f"torch.as_tensor({name}, dtype=torch.long)")
    if y.dtype == torch.bool or y.is_complex():
        raise ValueError(f"{name} must be integer class indices, got dtype {y.dtype}")
    if y.is_floating_point():
        whole = torch.isfinite(y) & (y == y.round())
        if not whole.all():
            raise ValueError(f"{name} must be whole class indices, got {y[~whole][0].item()}; "
                             "round them or fix the labels")
    if y.numel():
        low, high = y.min().item(), y.max().item()
        if low < 0 or (num_classes is not None and high >= num_classes):
            allowed = f"0..{num_classes - 1}" if num_classes is not None else "0 or more"
            raise ValueError(f"{name} must be class indices in {allowed}, "
                             f"got values from {low:g} to {high:g}")
    return y


def _available(kind: str) -> bool:
    if kind == "cpu":
        return True
    if kind == "mps":
        return torch.backends.mps.is_available()
    backend = getattr(torch, kind, None)  # torch.cuda, torch.xpu, ...
    return bool(backend is not None and hasattr(backend, "is_available") and backend.is_available())


def check_device(device, name: str = "device") -> torch.device:
    """``device`` as a ``torch.device``, if this machine has it.

    Examples:
        >>> check_device("cpu")
        device(type='cpu')
        >>> check_device("gpu")
        Traceback (most recent call last):
        ValueError: device='gpu' is not a device PyTorch knows; use device='cpu' or an accelerator such as 'cuda' or 'mps'
    """
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ValueError(f"{name}={device!r} is not a device PyTorch knows; "
                         f"use {name}='cpu' or an accelerator such as 'cuda' or 'mps'") from None
    if not _available(parsed.type):
        raise ValueError(f"{name}={str(parsed)!r}, but this machine has no {parsed.type.upper()} "
                         f"device (torch.{parsed.type}.is_available() is False); use {name}='cpu'")
    return parsed


def check_optimizer(optimizer, model) -> torch.optim.Optimizer:
    """``optimizer`` if it is a torch optimizer with finite learning rates that updates ``model``.

    Examples:
        >>> model, other = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
        >>> check_optimizer(torch.optim.SGD(other.parameters(), lr=0.1), model)
        Traceback (most recent call last):
        ValueError: the optimizer updates none of the model's parameters (was it built for another model?); build it from this model: torch.optim.SGD(model.parameters(), lr=...)
        >>> check_optimizer(torch.optim.SGD(model.parameters(), lr=float("inf")), model)
        Traceback (most recent call last):
        ValueError: the optimizer's learning rate lr must be a finite number, got inf
    """
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise ValueError(f"optimizer must be a torch.optim.Optimizer such as "
                         f"torch.optim.SGD(model.parameters(), lr=0.1), got {type(optimizer).__name__}")
    for group in optimizer.param_groups:
        if "lr" in group and check_finite_number("the optimizer's learning rate lr", group["lr"]) < 0:
            raise ValueError(f"the optimizer's learning rate lr must be >= 0, got {group['lr']}")
    mine = {id(p) for p in model.parameters()}
    if not any(id(p) in mine for group in optimizer.param_groups for p in group["params"]):
        kind = type(optimizer).__name__
        raise ValueError("the optimizer updates none of the model's parameters (was it built for another "
                         f"model?); build it from this model: torch.optim.{kind}(model.parameters(), lr=...)")
    return optimizer


class TrainingDiverged(ValueError):
    """Training stopped because the loss or the weights became NaN or infinite.

    A ``ValueError`` (the learning rate or the inputs were bad), with its own type so a caller
    such as the CLI can say which of its options to change.

    Examples:
        >>> issubclass(TrainingDiverged, ValueError)
        True
    """


def diverged(what: str, lr=None) -> TrainingDiverged:
    """The error every training loop raises when its loss or weights stop being finite.

    Examples:
        >>> raise diverged("the loss became nan in epoch 1, batch 3", lr=1e30)
        Traceback (most recent call last):
        learntorch._checks.TrainingDiverged: training diverged: the loss became nan in epoch 1, batch 3; lower the learning rate (lr=1e+30) or check the inputs for NaN/inf
    """
    if isinstance(lr, torch.Tensor):
        lr = lr.item()
    shown = f" (lr={lr:g})" if isinstance(lr, (int, float)) and not isinstance(lr, bool) else ""
    err = TrainingDiverged(f"training diverged: {what}; lower the learning rate{shown} or check the inputs "
                           "for NaN/inf")
    err.what = what  # so a caller can word its own fix, e.g. the CLI's "lower --lr"
    return err


def check_finite_weights(model: torch.nn.Module, lr=None, when: str = "") -> None:
    """Raise :func:`diverged` if any of ``model``'s weights is NaN or infinite (one sync, not one per tensor).

    Examples:
        >>> layer = torch.nn.Linear(2, 2)
        >>> check_finite_weights(layer)  # fine: nothing happens
        >>> _ = layer.weight.data.fill_(float("nan"))
        >>> check_finite_weights(layer, lr=10.0, when=" in epoch 2")
        Traceback (most recent call last):
        learntorch._checks.TrainingDiverged: training diverged: the model's weights became NaN/inf in epoch 2; lower the learning rate (lr=10) or check the inputs for NaN/inf
    """
    params = [p.detach() for p in model.parameters() if p.is_floating_point()]
    if params and not torch.stack([p.isfinite().all() for p in params]).all():
        raise diverged(f"the model's weights became NaN/inf{when}", lr)
