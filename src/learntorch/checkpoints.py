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
"""

from __future__ import annotations

import io
import pickletools
import re
import zipfile
from collections import OrderedDict
from pathlib import Path

import torch
from torch import nn

from learntorch import _files
from learntorch._checks import check_device, check_optimizer
from learntorch.models import MODELS

FORMAT = "learntorch-checkpoint"
VERSION = 1
KEYS = ("format", "version", "model_class", "config", "state_dict", "optimizer_state", "metadata")
# Plain values torch.load(weights_only=True) rebuilds without importing anything. Exact types:
# numpy.float64 is a subclass of float, but weights_only loading refuses it.
SAFE_SCALARS = (type(None), bool, int, float, str)
# Modules whose functions, called while unpickling, act on the machine: a file that names one
# is an attack (the classic payload is os.system), not a model someone saved.
SYSTEM_MODULES = {"os", "posix", "nt", "subprocess", "sys", "builtins", "shutil",
                  "socket", "importlib", "runpy", "pty", "ctypes", "pickle", "_pickle", "marshal",
                  "code", "codeop", "webbrowser", "multiprocessing", "signal", "pathlib", "io",
                  "_io", "commands", "platform", "operator", "functools", "types", "urllib"}
PY2_MODULES = {"__builtin__": "builtins", "copy_reg": "copyreg"}
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip's first entry, or the end of an empty zip
LEGACY_MAGIC = b"\x80\x02\x8a\nl\xfc\x9cF\xf9 j\xa8P\x19."  # torch.save's pre-1.6 (non-zip) format


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
    buffer = io.BytesIO()  # serialise in memory first: a failure here touches no file
    torch.save(checkpoint, buffer)
    _files.write_atomic(path, buffer.getvalue())  # atomic, keeps permissions, reports a full disk
    return path


# --- Reading: find out what a file is before trusting it ------------------------------------


def _pickle_globals(data: bytes) -> list[str]:
    """The ``module.name`` globals that unpickling ``data`` would import, found WITHOUT unpickling.

    ``pickletools.genops`` only parses opcodes. A global is named by GLOBAL/INST (text) or by
    STACK_GLOBAL (the last two strings pushed, possibly fetched back from the memo).
    """
    found, strings, memo, last = [], [], {}, None
    stream = io.BytesIO(data)
    for _ in range(8):  # a legacy torch file is several pickles in a row, then raw bytes
        try:
            for op, arg, _pos in pickletools.genops(stream):
                if op.name in ("GLOBAL", "INST"):
                    found.append(_py3_name(*arg.split(" ", 1)))
                elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
                    found.append(_py3_name(strings[-2], strings[-1]))
                if isinstance(arg, str) and ("UNICODE" in op.name or op.name.endswith("STRING")):
                    last = arg
                    strings.append(arg)
                elif op.name == "MEMOIZE":
                    memo[len(memo)] = last
                elif op.name in ("PUT", "BINPUT", "LONG_BINPUT"):
                    memo[arg] = last
                elif op.name in ("GET", "BINGET", "LONG_BINGET") and isinstance(memo.get(arg), str):
                    last = memo[arg]
                    strings.append(last)
                else:
                    last = None
        except Exception:  # not (or no longer) a pickle: stop scanning
            break
    return list(dict.fromkeys(found))


def _py3_name(module: str, name: str) -> str:
    # Protocols 0-2 spell Python 3's builtins as Python 2's __builtin__ (pickle maps them back).
    return f"{PY2_MODULES.get(module, module)}.{name}"


def _allowed_globals() -> set[str]:
    """The globals torch.load(weights_only=True) rebuilds (tensor and storage builders)."""
    try:
        from torch._weights_only_unpickler import _get_allowed_globals  # private: best effort
        return set(_get_allowed_globals())
    except Exception:
        return {"collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch.FloatStorage"}


def _pickled_bytes(path: Path) -> bytes:
    """The pickle inside a file: a torch zip's ``data.pkl``, or the whole file."""
    data = path.read_bytes()
    if data.startswith(ZIP_MAGIC):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return b"".join(z.read(n) for n in z.namelist() if n.endswith("data.pkl"))
    return data


def _refused_globals(path: Path, err: Exception) -> list[str]:
    """What a refused file asks the unpickler to import, by our own scan and by torch's message."""
    try:
        scanned = _pickle_globals(_pickled_bytes(path))
    except (OSError, zipfile.BadZipFile):
        scanned = []
    named = re.findall(r"GLOBAL ([\w.]+)", str(err))
    allowed = _allowed_globals()
    return [g for g in dict.fromkeys(scanned + named) if g not in allowed]


def _torch_reason(err: Exception) -> str:
    """The line of torch's error that says what went wrong, without its advice on weights_only."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    noise = ("weights_only", "Weights only load failed", "file an issue", "documentation of torch.load")
    useful = [line for line in lines if not any(n in line for n in noise)]
    text = (useful or [type(err).__name__])[0].removeprefix("WeightsUnpickler error:").strip()
    return text.split(". This is an internal")[0][:120] or type(err).__name__


def _unreadable(path: Path, err: Exception) -> ValueError:
    """The error for a file torch.load(weights_only=True) could not read, naming what it is."""
    refused = _refused_globals(path, err)
    if unsafe := [g for g in refused if g.split(".")[0] in SYSTEM_MODULES]:
        return UnsafeCheckpointError(
            f"{path} was refused as unsafe: loading it would call {unsafe[0]}, which acts on this "
            "machine (its files, its programs), so it is an attack or a booby-trapped file, not a model. "
            "Nothing in it was executed. Delete it unless you know who made it and why.")
    if refused:
        return UnsafeCheckpointError(
            f"{path} was refused: it stores pickled Python objects ({', '.join(refused[:3])}) that only "
            "a full unpickle could rebuild, and a full unpickle runs whatever code the file names. "
            "Nothing in it was executed. If you saved it yourself with torch.save(model), save "
            "the model again with learntorch.checkpoints.save(model, path).")
    head = path.read_bytes()[:64]
    if head.startswith((*ZIP_MAGIC, LEGACY_MAGIC)):
        return ValueError(f"{path} is a damaged PyTorch file: torch.load could not read it "
                          f"({_torch_reason(err)}); save it again or restore a copy")
    if head.startswith(b"\x80"):
        return ValueError(f"{path} is a plain Python pickle, not a PyTorch checkpoint (the safe "
                          f"loader stopped at: {_torch_reason(err)}); write checkpoints with "
                          "learntorch.checkpoints.save(model, path)")
    if _looks_like_text(head):
        start = head.decode("utf-8", "replace").splitlines()[0][:30]
        return ValueError(f"{path} is a text file (it starts with {start!r}), not a checkpoint; "
                          "expected a file written by learntorch.checkpoints.save")
    return ValueError(f"{path} is not a PyTorch checkpoint: its first bytes {head[:8]!r} are "
                      "neither a zip archive nor a pickle; expected a file written by "
                      "learntorch.checkpoints.save")


def _looks_like_text(head: bytes) -> bool:
    for end in range(len(head), max(len(head) - 4, 0), -1):  # the head may end inside a character
        try:
            text = head[:end].decode("utf-8")
        except UnicodeDecodeError:
            continue
        return all(c.isprintable() or c in "\t\r\n" for c in text)
    return False


def _check_container(path: Path) -> None:
    """Refuse, with its own message, a file that cannot be a checkpoint before torch reads it."""
    size = path.stat().st_size
    if size == 0:
        raise ValueError(f"{path} is empty (0 bytes), not a checkpoint: the save that wrote it was "
                         "interrupted or the file was truncated; save it again or restore a copy")
    with open(path, "rb") as f:
        head = f.read(4)
    if head not in ZIP_MAGIC:
        return
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            broken = z.testzip()  # checks every member's CRC: bit rot, a bad copy
    except (zipfile.BadZipFile, EOFError, OSError) as err:
        raise ValueError(f"{path} is truncated or damaged: it starts like a checkpoint (a zip "
                         f"archive) but cannot be opened ({err}); save it again or restore a copy") from None
    if not any(n.endswith("/data.pkl") for n in names):
        raise ValueError(f"{path} is a zip archive but not a PyTorch checkpoint (it holds "
                         f"{', '.join(names[:4]) or 'nothing'}); expected a file written by "
                         "learntorch.checkpoints.save")
    if broken is not None:
        raise ValueError(f"{path} is damaged: its part {broken!r} does not match the checksum stored "
                         "with it (a bad copy or a failing disk); save it again or restore a copy")


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
    _check_container(path)
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # an untrusted file can make the unpickler raise almost anything
        raise _unreadable(path, err) from None
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
