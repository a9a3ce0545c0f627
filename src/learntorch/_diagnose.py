"""Why a file is not a readable checkpoint: empty, damaged, foreign, or an attack.

``torch.load(weights_only=True)`` refuses everything it should, but its errors speak of
internals ("PytorchStreamReader failed reading zip archive", "Unsupported operand 149") and,
for a refused pickle, suggest retrying with ``weights_only=False``: the one thing not to do
with an attacker's file. :mod:`learntorch.checkpoints` asks here instead what the file is:

- :func:`check_container` looks at the bytes before torch does (empty, a broken or foreign zip,
  a zip whose checksums fail);
- :func:`unreadable` explains a failed load, scanning the pickle's opcodes with ``pickletools``
  (which parses, never executes) for the functions it would call.
"""

from __future__ import annotations

import io
import pickletools
import re
import zipfile
from pathlib import Path

# Modules whose functions, called while unpickling, act on the machine: a file that names one
# is an attack (the classic payload is os.system), not a model someone saved.
SYSTEM_MODULES = {"os", "posix", "nt", "subprocess", "sys", "builtins", "shutil",
                  "socket", "importlib", "runpy", "pty", "ctypes", "pickle", "_pickle", "marshal",
                  "code", "codeop", "webbrowser", "multiprocessing", "signal", "pathlib", "io",
                  "_io", "commands", "platform", "operator", "functools", "types", "urllib"}
PY2_MODULES = {"__builtin__": "builtins", "copy_reg": "copyreg"}
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip's first entry, or the end of an empty zip
LEGACY_MAGIC = b"\x80\x02\x8a\nl\xfc\x9cF\xf9 j\xa8P\x19."  # torch.save's pre-1.6 (non-zip) format


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


def unreadable(path: Path, err: Exception) -> tuple[bool, str]:
    """Why torch.load(weights_only=True) could not read ``path``: ``(unsafe, message)``.

    ``unsafe`` is True when the file asks the unpickler to import something (a refusal, not
    damage); the message then names what, and never suggests loading it anyway.

    Examples:
        >>> import os, pickle, tempfile
        >>> class Payload:
        ...     def __reduce__(self):
        ...         return os.system, ("echo pwned",)
        >>> path = Path(tempfile.mkdtemp()) / "evil.pt"
        >>> _ = path.write_bytes(pickle.dumps(Payload(), protocol=2))
        >>> unsafe, message = unreadable(path, Exception("refused"))
        >>> unsafe, "refused as unsafe" in message, "system" in message  # posix.system (nt. on Windows)
        (True, True, True)
    """
    refused = _refused_globals(path, err)
    if unsafe := [g for g in refused if g.split(".")[0] in SYSTEM_MODULES]:
        return True, (
            f"{path} was refused as unsafe: loading it would call {unsafe[0]}, which acts on this "
            "machine (its files, its programs), so it is an attack or a booby-trapped file, not a model. "
            "Nothing in it was executed. Delete it unless you know who made it and why.")
    if refused:
        return True, (
            f"{path} was refused: it stores pickled Python objects ({', '.join(refused[:3])}) that only "
            "a full unpickle could rebuild, and a full unpickle runs whatever code the file names. "
            "Nothing in it was executed. If you saved it yourself with torch.save(model), save "
            "the model again with learntorch.checkpoints.save(model, path).")
    head = path.read_bytes()[:64]
    if head.startswith((*ZIP_MAGIC, LEGACY_MAGIC)):
        return False, (f"{path} is a damaged PyTorch file: torch.load could not read it "
                          f"({_torch_reason(err)}); save it again or restore a copy")
    if head.startswith(b"\x80"):
        return False, (f"{path} is a plain Python pickle, not a PyTorch checkpoint (the safe "
                          f"loader stopped at: {_torch_reason(err)}); write checkpoints with "
                          "learntorch.checkpoints.save(model, path)")
    if _looks_like_text(head):
        start = head.decode("utf-8", "replace").splitlines()[0][:30]
        return False, (f"{path} is a text file (it starts with {start!r}), not a checkpoint; "
                          "expected a file written by learntorch.checkpoints.save")
    return False, (f"{path} is not a PyTorch checkpoint: its first bytes {head[:8]!r} are "
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


def check_container(path: Path) -> None:
    """Refuse, with its own message, a file that cannot be a checkpoint before torch reads it.

    Examples:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "empty.pt"
        >>> path.touch()
        >>> check_container(path)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ValueError: .../empty.pt is empty (0 bytes), not a checkpoint: ...
    """
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
