"""Save and load models as plain dicts that anyone can open with ``torch.load``.

A checkpoint file holds one dict::

    {"format": "learntorch-checkpoint", "version": 1,
     "model_class": "MLP", "config": {...},        # rebuilds the architecture: MLP(**config)
     "state_dict": {...},                          # the weights, as tensors
     "optimizer_state": {...} or None,             # to resume training where it stopped
     "metadata": {...}}                            # epoch, accuracy, anything plain

Two promises:

- **Saving is atomic.** The dict is written to a temporary file in the same folder, flushed
  to disk, then renamed over the target; a crash mid-save leaves the previous file intact.
- **Loading never runs code.** Files are read with ``torch.load(weights_only=True)``, which
  rebuilds only tensors and plain containers; a pickle that would call a function (a
  ``__reduce__`` payload) is refused with an :class:`UnsafeCheckpointError` before anything
  executes.

Every other wrong file gets its own message too: an empty or truncated file, a zip or text file
that is not a checkpoint, a bare ``state_dict``, a checkpoint whose parts are malformed.

Under ``torchrun`` every process holds the same model, so only rank 0 writes the file; the
others return at once (if they read it next, call ``torch.distributed.barrier()`` first).
"""

from __future__ import annotations

import io
from collections import OrderedDict
from pathlib import Path

import torch
from torch import nn

from learntorch import _diagnose as diagnose
from learntorch import _files
from learntorch._checks import check_device, check_optimizer
from learntorch.data.loaders import rank_and_world_size
from learntorch.models import MODELS

FORMAT = "learntorch-checkpoint"
VERSION = 1
KEYS = ("format", "version", "model_class", "config", "state_dict", "optimizer_state", "metadata")
# Plain values torch.load(weights_only=True) rebuilds without importing anything. Exact types:
# numpy.float64 is a subclass of float, but weights_only loading refuses it.
SAFE_SCALARS = (type(None), bool, int, float, str)


class UnsafeCheckpointError(ValueError):
    """A file refused because loading it would run code (a pickled ``__reduce__`` payload).

    Examples:
        >>> issubclass(UnsafeCheckpointError, ValueError)
        True
    """


def _check_safe(value, where: str) -> None:
    """Raise ValueError unless ``value`` is made of plain values weights_only loading accepts."""
    if type(value) in SAFE_SCALARS or isinstance(value, torch.Tensor):
        return
    if type(value) in (list, tuple):
        for i, item in enumerate(value):
            _check_safe(item, f"{where}[{i}]")
        return
    if type(value) in (dict, OrderedDict):
        for key, item in value.items():
            if not isinstance(key, (str, int)):
                raise ValueError(f"{where} has a key of type {type(key).__name__}; use str or int keys")
            _check_safe(item, f"{where}[{key!r}]")
        return
    hint = " (use .item() or .tolist())" if type(value).__module__ == "numpy" else ""
    raise ValueError(
        f"{where} is a {type(value).__module__}.{type(value).__qualname__}, which "
        f"torch.load(weights_only=True) cannot read back{hint}; metadata must be ints, floats, "
        "str, bool, None, tensors, or lists/dicts of those"
    )


def save(model: nn.Module, path, *, optimizer: torch.optim.Optimizer | None = None,
         **metadata) -> Path:
    """Write ``model`` (and optionally ``optimizer``) to ``path`` atomically; return the path.

    Args:
        model: a model from ``learntorch.models.MODELS`` (it has a ``.config`` dict).
        path: the file to write; its folder must exist.
        optimizer: saved too when given, so training can resume with its state (Adam's
            running averages, the step count).
        **metadata: plain values to keep alongside, e.g. ``epoch=3, test_accuracy=0.89``.

    Under ``torchrun`` only rank 0 writes; every rank checks the arguments and returns the path.

    Examples:
        >>> import tempfile
        >>> from learntorch.models import MLP
        >>> path = save(MLP(4, (3,), 2), Path(tempfile.mkdtemp()) / "tiny.pt", epoch=1)
        >>> read(path)["metadata"]
        {'epoch': 1}
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be an nn.Module from learntorch.models, got {type(model).__name__}")
    name = type(model).__name__
    if MODELS.get(name) is not type(model):
        raise ValueError(f"cannot save a {name}: only models in learntorch.models.MODELS "
                         f"({', '.join(MODELS)}) can be rebuilt by load()")
    _check_safe(model.config, "model.config")
    _check_safe(metadata, "metadata")
    if optimizer is not None:
        check_optimizer(optimizer, model)  # another model's optimizer would not resume this one
    checkpoint = {
        "format": FORMAT, "version": VERSION, "model_class": name, "config": model.config,
        # Weights on the CPU, so a model trained on a GPU loads on a machine without one.
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "optimizer_state": optimizer.state_dict() if optimizer is not None else None,
        "metadata": metadata,
    }
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"cannot save to {path}: it is a folder; give a file name inside it, "
                                f"e.g. {path / 'model.pt'}")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot save {path}: folder {path.parent} does not exist")
    if rank_and_world_size()[0] == 0:  # under torchrun, one writer: the copies are identical
        buffer = io.BytesIO()  # serialise in memory first: a failure here touches no file
        torch.save(checkpoint, buffer)
        _files.write_atomic(path, buffer.getvalue())  # atomic, keeps permissions, reports a full disk
    return path


def read(path) -> dict:
    """The checkpoint dict stored at ``path``, tensors on the CPU, after checking its format.

    Raises:
        FileNotFoundError: no file at ``path``.
        UnsafeCheckpointError: the file would run code if unpickled; nothing was executed.
        ValueError: anything else that is not a readable learntorch checkpoint (empty,
            truncated, damaged, a text or zip file, a bare state_dict, malformed parts).

    Examples:
        >>> import tempfile
        >>> from learntorch.models import MLP
        >>> checkpoint = read(save(MLP(4, (3,), 2), Path(tempfile.mkdtemp()) / "tiny.pt"))
        >>> checkpoint["model_class"], checkpoint["config"]["hidden"], checkpoint["optimizer_state"]
        ('MLP', [3], None)
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}: the file does not exist")
    if not path.is_file():
        raise ValueError(f"{path} is not a file; expected a checkpoint written by learntorch.checkpoints.save")
    diagnose.check_container(path)  # empty, truncated, or a zip that is not torch's
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # an untrusted file can make the unpickler raise almost anything
        unsafe, message = diagnose.unreadable(path, err)
        raise (UnsafeCheckpointError if unsafe else ValueError)(message) from None
    _check_format(checkpoint, path)
    return checkpoint


def _check_format(checkpoint, path: Path) -> None:
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != FORMAT:
        if isinstance(checkpoint, dict) and checkpoint and all(
                isinstance(v, torch.Tensor) for v in checkpoint.values()):
            found = "a bare state_dict (weights without the model's class and config)"
        elif isinstance(checkpoint, dict):
            found = f"a dict with keys {sorted(map(str, checkpoint))[:6]}"
        else:
            found = f"a {type(checkpoint).__name__}"
        raise ValueError(f"{path} is not a learntorch checkpoint: it holds {found}. "
                         "Write checkpoints with learntorch.checkpoints.save(model, path).")
    version = checkpoint.get("version")
    if type(version) is not int or version != VERSION:
        raise ValueError(f"{path} is a learntorch checkpoint of version {version!r}; "
                         f"this learntorch reads version {VERSION}")
    missing = [key for key in KEYS if key not in checkpoint]
    if missing:
        raise ValueError(f"{path} is an incomplete learntorch checkpoint: missing {missing}")
    problems = []
    if not isinstance(checkpoint["model_class"], str):
        problems.append(f"model_class is a {type(checkpoint['model_class']).__name__}, not a class name")
    if not isinstance(checkpoint["config"], dict) or not all(isinstance(k, str) for k in checkpoint["config"]):
        problems.append("config is not a dict of argument names")
    state = checkpoint["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        problems.append("state_dict is not a dict of tensors")
    if checkpoint["optimizer_state"] is not None and not isinstance(checkpoint["optimizer_state"], dict):
        problems.append("optimizer_state is neither None nor a dict")
    if not isinstance(checkpoint["metadata"], dict):
        problems.append(f"metadata is a {type(checkpoint['metadata']).__name__}, not a dict")
    if problems:
        raise ValueError(f"{path} is a malformed learntorch checkpoint: {'; '.join(problems)}; "
                         "save the model again with learntorch.checkpoints.save")


def _state_dict_mismatch(model: nn.Module, state_dict: dict) -> str:
    """Describe how ``state_dict`` differs from ``model``'s parameters ('' when it fits)."""
    expected = model.state_dict()
    problems = []
    if missing := sorted(set(expected) - set(state_dict)):
        problems.append(f"missing keys {missing}")
    if unexpected := sorted(set(state_dict) - set(expected)):
        problems.append(f"unexpected keys {unexpected}")
    shapes = [f"{key}: checkpoint {tuple(state_dict[key].shape)} vs model {tuple(expected[key].shape)}"
              for key in expected if key in state_dict and state_dict[key].shape != expected[key].shape]
    if shapes:
        problems.append("shape mismatches " + "; ".join(shapes))
    return ", ".join(problems)


def load(path, device="cpu") -> nn.Module:
    """Rebuild the model saved at ``path`` with its weights, on ``device``, in evaluation mode.

    Examples:
        >>> import tempfile
        >>> from learntorch.models import MLP
        >>> model = load(save(MLP(4, (3,), 2), Path(tempfile.mkdtemp()) / "tiny.pt"))
        >>> type(model).__name__, model.training
        ('MLP', False)
    """
    device = check_device(device)  # before reading: a missing GPU is the caller's to fix
    checkpoint = read(path)
    name = checkpoint["model_class"]
    if name not in MODELS:
        raise ValueError(f"{path} holds a model of class {name!r}, which learntorch does not know; "
                         f"known classes: {', '.join(MODELS)}")
    try:
        model = MODELS[name](**checkpoint["config"])
    except (TypeError, ValueError) as err:
        raise ValueError(f"{path}: its config {checkpoint['config']} does not build a {name}: {err}") from None
    if problems := _state_dict_mismatch(model, checkpoint["state_dict"]):
        raise ValueError(f"{path}: the saved weights do not fit {name}(**{checkpoint['config']}): {problems}")
    model.load_state_dict(checkpoint["state_dict"])
    return model.to(device).eval()  # eval: dropout off, ready for inference
