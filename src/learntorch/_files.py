"""Writing files so that nothing is lost: check the target first, then write atomically.

- :func:`check_writable` answers "can a file of about this size be written here?" *before*
  any work is done (a folder given as a file name, a missing or read-only folder, a full disk),
  so a long training run never ends in a failed save.
- :func:`write_atomic` writes through a unique temporary file in the same folder and renames it
  over the target: a reader sees the old file or the new one, never half of one. The new file
  gets the old file's permissions (or the usual ones for a new file), and a full disk is
  reported as "no space left on device", not as an internal error.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
from pathlib import Path

SPACE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def _mb(n: float) -> str:
    return f"{n / 2**20:.1f} MB"


def _error(kind: type, code: int | None, message: str) -> OSError:
    """An OSError of type ``kind`` whose text is just ``message`` (no "[Errno 28]"), errno kept."""
    err = kind(message)
    err.errno = code
    return err


def _reason(err: OSError) -> str:
    """What an OSError means, in words: 'read-only file system', 'permission denied', ..."""
    return (err.strerror or str(err)).lower()


def check_writable(path, size: int = 0, what: str = "") -> Path:
    """Raise a clear ``OSError`` unless a file of about ``size`` bytes can be written at ``path``.

    Args:
        path: the file to be written (it may exist: it will be replaced).
        size: bytes the file will need; the folder's free space must hold them.
        what: how the caller names the path in messages, e.g. ``"--out model.pt"``.

    Examples:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> check_writable(folder / "model.pt").name
        'model.pt'
        >>> check_writable(folder)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        IsADirectoryError: cannot write ... it is a folder; give a file name inside it, e.g. .../model.pt
    """
    path = Path(path)
    label = what or str(path)
    if path.is_dir():
        raise IsADirectoryError(f"cannot write {label}: it is a folder; give a file name inside it, "
                                f"e.g. {path / 'model.pt'}")
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {label}: folder {folder} does not exist; create it "
                                "first or choose another path")
    try:  # the only reliable test (root ignores permission bits; a read-only mount ignores them all)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".probe")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise _error(type(err), err.errno, f"cannot write {label}: folder {folder} is not writable "
                     f"({_reason(err)}); choose a folder you can write to") from None
    free = shutil.disk_usage(folder).free
    if size and free < size:
        raise _error(OSError, errno.ENOSPC, f"cannot write {label}: no space left on device (the "
                     f"file needs about {_mb(size)}, {folder} has {_mb(free)} free); free some "
                     "space or choose another folder")
    return path


def _new_mode(path: Path) -> int:
    """The permissions the written file should have: the old file's, else 0666 minus the umask."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)  # reading the umask means setting it; set it straight back
        os.umask(umask)
        return 0o666 & ~umask


def write_atomic(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a unique temporary file in the same folder, then rename.

    Raises ``OSError`` naming the file and the reason; when the disk is full the message says
    "no space left on device" and the previous file, if any, is left as it was.

    Examples:
        >>> import tempfile
        >>> path = write_atomic(Path(tempfile.mkdtemp()) / "x.bin", b"abc")
        >>> path.chmod(0o640)
        >>> path = write_atomic(path, b"new")  # replaced, and its permissions kept
        >>> path.read_bytes(), oct(path.stat().st_mode & 0o777)
        (b'new', '0o640')
    """
    path = Path(path)
    tmp = None
    try:
        mode = _new_mode(path)
        # mkstemp makes a unique name (two writers never share one), with mode 0600.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())  # the bytes are on disk before the rename makes them visible
        os.chmod(tmp, mode)
        os.replace(tmp, path)  # atomic within one file system
    except BaseException as err:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError) and err.errno in SPACE_ERRORS:
            free = shutil.disk_usage(path.parent).free
            raise _error(type(err), err.errno, f"cannot write {path}: no space left on device "
                         f"({path.parent} has {_mb(free)} free, the file needs {_mb(len(data))}); "
                         "free some space or write it elsewhere") from None
        if isinstance(err, OSError):
            raise _error(type(err), err.errno, f"cannot write {path}: {_reason(err)}") from None
        raise
    return path
