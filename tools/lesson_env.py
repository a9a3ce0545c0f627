"""The environment lessons execute in: the learntorch wheel installed the way a learner installs it.

A lesson must run on a machine where this repository does not exist. So the build does not
let a lesson's kernel see ``src/``: it builds the wheel the site publishes, installs it into
an environment of its own (``.cache/lesson-env``), and starts every lesson kernel there, in a
scratch folder outside the repository. Two checks make a lesson fail the way it would fail
at a learner's desk (``tools/lesson_guard.py``, loaded at kernel start-up):

- opening a file under ``docs/``, ``src/``, ``snippets/``, ``tools/``, ``tests/`` or
  ``benchmarks/`` raises, naming the path;
- importing a package that the lesson's install line (``learntorch[<extras>]``) does not
  install raises ``ModuleNotFoundError``, naming the package and the extras.

The environment is a plain venv whose only outside path is the build's own site-packages
(a ``.pth`` line, so the heavy packages are not installed twice); pip resolves the wheel's
requirements against it with ``--no-index``, which also checks that the wheel declares every
dependency the lessons need.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

from filelock import FileLock  # a dependency of torch, so installed with the build

HERE = Path(__file__).resolve().parent
GUARD = HERE / "lesson_guard.py"
FIGURES = HERE / "lesson_figures.py"  # alt text for plots, loaded into lesson kernels
# Folders of the repository a lesson must never read: a downloaded lesson has none of them.
REPOSITORY_FOLDERS = ("docs", "src", "snippets", "tools", "tests", "benchmarks")
KERNEL_NAME = "learntorch-lesson"
# What a learner's notebook environment has besides learntorch: a kernel (Jupyter, Colab).
KERNEL_DISTRIBUTIONS = ("ipykernel", "pip")


class LessonEnvError(RuntimeError):
    """The lesson environment could not be built (the wheel, the venv, or the install)."""


def project_version(root: Path) -> str:
    """``version = "..."`` from the project's pyproject.toml."""
    import tomllib

    with open(Path(root) / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["version"]


def wheel_name(root: Path) -> str:
    return f"learntorch-{project_version(root)}-py3-none-any.whl"


def source_hash(root: Path) -> str:
    """Hash of what goes into the wheel: the package source and pyproject.toml."""
    h = hashlib.sha256()
    root = Path(root)
    for path in [root / "pyproject.toml", *sorted((root / "src" / "learntorch").rglob("*.py"))]:
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def installed_packages() -> list[str]:
    """``name==version`` of every distribution the build's Python has, sorted.

    The lesson environment sees these packages (its base); when they change, so does what a
    lesson can import, and what the guard must hide.
    """
    from importlib import metadata

    return sorted(f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions())


def _lock(root: Path) -> FileLock:
    """One process (or thread) at a time builds the wheel or changes the lesson environment."""
    (Path(root) / ".cache").mkdir(parents=True, exist_ok=True)
    return FileLock(str(Path(root) / ".cache" / "lesson-env.lock"), thread_local=False)


def build_wheel(root: Path, log=print) -> Path:
    """The learntorch wheel for the current source, built once per source hash.

    Built without build isolation (setuptools comes from the build's own environment), so it
    needs no network.
    """
    with _lock(root):
        return _build_wheel(Path(root), log)


def _build_wheel(root: Path, log) -> Path:
    folder = root / ".cache" / "wheel" / source_hash(root)
    wheel = folder / wheel_name(root)
    if wheel.is_file():
        return wheel
    shutil.rmtree(root / ".cache" / "wheel", ignore_errors=True)  # keep one wheel: the current one
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
           "--disable-pip-version-check", "--quiet", "-w", str(tmp), str(root)]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=root)
    built = tmp / wheel.name
    if result.returncode != 0 or not built.is_file():
        raise LessonEnvError(f"building the learntorch wheel failed:\n{result.stderr[-3000:]}")
    shutil.rmtree(root / "build", ignore_errors=True)  # setuptools' scratch folder
    os.replace(tmp, folder)
    log(f"built {wheel.name} ({wheel.stat().st_size // 1024} KB)")
    return wheel


def env_python(env: Path) -> Path:
    return Path(env) / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _site_packages(python: Path) -> Path:
    out = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


def lesson_env(root: Path, log=print) -> Path:
    """The lesson environment with the current wheel installed (made or refreshed as needed).

    Returns the environment's folder. Safe to call from several processes only one at a
    time; the build calls it once before any lesson runs.
    """
    with _lock(root):
        return _lesson_env(Path(root), log)


def _lesson_env(root: Path, log) -> Path:
    wheel = _build_wheel(root, log)
    env = root / ".cache" / "lesson-env"
    stamp = env / "learntorch-wheel.json"
    want = {"layout": 2, "wheel": wheel.name, "source": source_hash(root), "base": sysconfig.get_paths()["purelib"],
            "guard": hashlib.sha256(GUARD.read_bytes() + FIGURES.read_bytes()).hexdigest()[:16],
            # The guard's metadata file lists the base's packages: a package added there later
            # must be hidden too, so a change of them refreshes the environment.
            "packages": hashlib.sha256("\n".join(installed_packages()).encode()).hexdigest()[:16]}
    if stamp.is_file() and json.loads(stamp.read_text()) == want and env_python(env).is_file():
        return env
    if not env_python(env).is_file() or (stamp.is_file() and json.loads(stamp.read_text()).get("base") != want["base"]):
        shutil.rmtree(env, ignore_errors=True)
    make_env(env, guard=True)
    cmd = [str(env_python(env)), "-m", "pip", "install", "--no-index", "--force-reinstall", "--no-deps",
           "--disable-pip-version-check", "--quiet", str(wheel)]
    check = [str(env_python(env)), "-m", "pip", "install", "--no-index", "--disable-pip-version-check",
             "--quiet", f"learntorch[all] @ {wheel.as_uri()}"]
    for step in (cmd, check):  # install this exact build, then check its requirements resolve
        result = subprocess.run(step, capture_output=True, text=True, env=_clean_env())
        if result.returncode != 0:
            raise LessonEnvError(f"installing {wheel.name} into the lesson environment failed "
                                    f"({' '.join(step[3:])}):\n{result.stderr[-3000:]}")
    _write_guard_metadata(env)
    stamp.write_text(json.dumps(want))
    log(f"lesson environment ready: {wheel.name} installed in {env}")
    return env


def guard_metadata_file(env: Path) -> Path:
    return Path(env) / "learntorch-guard-metadata.json"


def _write_guard_metadata(env: Path) -> None:
    """What the guard would read from the environment's installed metadata in every kernel
    (~0.4 s each), read once now. Rewritten whenever the environment changes."""
    code = "import json, sys, learntorch_lesson_guard as g; json.dump(g.environment_metadata(), sys.stdout)"
    result = subprocess.run([str(env_python(env)), "-c", code], capture_output=True, text=True, env=_clean_env())
    if result.returncode != 0:
        raise LessonEnvError(f"reading the lesson environment's metadata failed:\n{result.stderr[-3000:]}")
    tmp = guard_metadata_file(env).with_suffix(".tmp")
    tmp.write_text(result.stdout)
    os.replace(tmp, guard_metadata_file(env))


def make_env(env: Path, guard: bool = True) -> Path:
    """A venv at ``env`` that sees the build's packages but not src/, with a Jupyter kernel spec.

    With ``guard``, lesson_guard.py is loaded at start-up (it acts only when the build sets
    ``LEARNTORCH_LESSON_GUARD``). Nothing of learntorch is installed here.
    """
    env = Path(env)
    if not env_python(env).is_file():
        # No pip of its own: `%pip` in a lesson finds the build's pip through the base path,
        # and installs into this environment (pip installs into sys.prefix).
        venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(env)
    site = _site_packages(env_python(env))
    for old in site.glob("*learntorch*.pth"):
        old.unlink()
    # A plain path line: the build's packages are importable, but its own .pth files (the
    # editable install of src/learntorch among them) are not processed. .pth files run in
    # name order: this one first, so the guard below can import what it needs.
    (site / "00-learntorch-build-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    if guard:
        shutil.copyfile(GUARD, site / "learntorch_lesson_guard.py")
        (site / "zz-learntorch-lesson-guard.pth").write_text("import learntorch_lesson_guard\n")
        shutil.copyfile(FIGURES, site / "learntorch_lesson_figures.py")
    _write_kernelspec(env, figures=guard)
    return env


def _clean_env() -> dict:
    """The build's environment without anything that would put src/ or a venv on the path."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}}
    return env


def _write_kernelspec(env: Path, figures: bool) -> Path:
    folder = Path(env) / "share" / "jupyter" / "kernels" / KERNEL_NAME
    folder.mkdir(parents=True, exist_ok=True)
    argv = [str(env_python(env)), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    if figures:
        argv.append("--IPKernelApp.exec_lines=['import learntorch_lesson_figures as f; "
                    "f.register(get_ipython()); del f']")
    spec = {"argv": argv, "display_name": "learntorch lesson", "language": "python"}
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1))
    return folder.parent


def kernel_manager(env: Path, runtime: Path):
    """A Jupyter kernel manager for ``env``'s kernel, its sockets and files in ``runtime``.

    IPC sockets instead of TCP ports: nothing listens on the network, and a build in a
    namespace without network (CI) needs no loopback.
    """
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    specs = KernelSpecManager(kernel_dirs=[str(Path(env) / "share" / "jupyter" / "kernels")])
    km = KernelManager(kernel_name=KERNEL_NAME, transport="ipc", kernel_spec_manager=specs)
    km.connection_file = str(Path(runtime) / "kernel.json")
    km.ip = str(Path(runtime) / "ipc")
    return km


def guard_settings(root: Path, extras: list[str]) -> str:
    """What lesson_guard.py enforces in one kernel: the repository folders and the allowed extras."""
    root = Path(root).resolve()
    return json.dumps({"forbidden": [str(root / name) for name in REPOSITORY_FOLDERS],
                       "extras": list(extras), "kernel": list(KERNEL_DISTRIBUTIONS),
                       "metadata": str(guard_metadata_file(root / ".cache" / "lesson-env"))})


def kernel_environment(root: Path, extras: list[str], threads: int) -> dict:
    """Environment variables of a lesson kernel: the guard's settings and the thread count."""
    env = _clean_env()
    env["LEARNTORCH_LESSON_GUARD"] = guard_settings(root, extras)
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[name] = str(threads)
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # the debugger's "frozen modules" notice
    env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    return env
