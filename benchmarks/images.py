"""How long the "Images beyond classification" part takes: each lesson, its shared models, a style-transfer step.

1. Seconds per style-transfer optimisation step (one forward and backward pass of VGG16 up to
   conv5_1, through ``learntorch.style.style_transfer``) at the lesson's image size (longer side
   128) and at the shared run's (192), on one thread as lessons run.
2. The part's shared results, made from scratch: the GAN (``python -m learntorch.zoo fashion-gan``)
   and the cached style transfer (``style-transfer``). They run in a temporary learntorch cache
   that gets copies of the downloaded archives and of the Fashion-MNIST CNN (shared with the CNN
   part, not counted here), so nothing is fetched and nothing cached is reused.
3. Each lesson executed as the site build executes it (``tools/lessons.py --execute``: the
   lesson environment, one thread), in that same cache.

Targets (issue #19 and the lead's budget): each lesson <= 120 s of CPU time on one thread; the
whole part, lessons and its two shared results, <= 720 s. CPU seconds are used for the checks
because they stay closer to the time on an idle core than wall-clock seconds when the machine
is shared (they are still inflated by contention for caches and memory); wall-clock seconds and
the load average are recorded beside them. Writes benchmarks/results/images.json.

    python benchmarks/images.py [--skip-lessons]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import cpu_model  # benchmarks/machine.py
from targets import check  # benchmarks/targets.py

ROOT = Path(__file__).resolve().parents[1]
LESSONS = ["weight-init", "batch-norm", "autoencoders", "visualising", "style-transfer", "gan"]  # nav order
SHARED = ["fashion-gan", "style-transfer"]


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of one process so far, from /proc (None once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def _descendants(pid: int) -> set[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def timed(command: list[str], env: dict) -> dict:
    """Run ``command``; its wall seconds and the CPU seconds of it and every process it started.

    A lesson's work happens in a Jupyter kernel that its worker starts, so the CPU time is
    summed over the whole process tree, read from /proc twice a second (what a process does in
    its last half second is missed).
    """
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    cpu: dict[int, float] = {}
    while process.poll() is None:
        for pid in {process.pid} | _descendants(process.pid):
            seconds = _cpu_seconds(pid)
            if seconds is not None:
                cpu[pid] = max(cpu.get(pid, 0.0), seconds)
        time.sleep(0.5)
    out, err = process.communicate()
    wall = time.perf_counter() - start
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{(err or out)[-4000:]}")
    return {"wall_seconds": round(wall, 1), "cpu_seconds": round(sum(cpu.values()), 1),
            "load_average_1min": round(os.getloadavg()[0], 2)}


def style_step_seconds(max_size: int, steps: int = 12) -> dict:
    """Seconds per L-BFGS evaluation of the page's style transfer at ``max_size``, one thread.

    Both the CPU seconds of this process (the check) and the wall-clock seconds, the best of
    two runs of ``steps`` evaluations each.
    """
    import torch
    from skimage import data

    from learntorch.pretrained import vgg16_features
    from learntorch.style import image_tensor, style_transfer

    torch.set_num_threads(1)  # as a lesson kernel runs
    vgg = vgg16_features()
    content = image_tensor(data.chelsea(), max_size)
    style = image_tensor(data.immunohistochemistry(), max_size)
    style_transfer(content, style, vgg, steps=2)  # warm-up: first calls allocate
    cpu, wall = [], []
    for _ in range(2):
        start = time.process_time()
        run = style_transfer(content, style, vgg, steps=steps)
        cpu.append((time.process_time() - start) / run["steps"])
        wall.append(run["seconds"] / run["steps"])
    return {"pixels": list(content.shape[-2:]), "cpu_seconds": round(min(cpu), 3), "wall_seconds": round(min(wall), 3)}


def prepare_cache(cache: Path) -> None:
    """A fresh learntorch cache with the archives and the CNN copied in, and nothing else."""
    from learntorch import zoo
    from learntorch.data.sources import cache_dir

    real = cache_dir()
    for folder in ("downloads", "packages"):
        if (real / folder).is_dir():
            shutil.copytree(real / folder, cache / folder)
    cnn = zoo.fashion_cnn_path()  # trained if missing: shared with the CNN part, not timed here
    zoo.fashion_cnn()
    (cache / "models").mkdir(parents=True)
    shutil.copy2(cnn, cache / "models" / cnn.name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-lessons", action="store_true", help="only time the style-transfer step")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "tools"))
    import lesson_env  # tools/lesson_env.py

    result = {"style_step": {"lesson (longer side 128)": style_step_seconds(128),
                             "shared run (longer side 192)": style_step_seconds(192)}}
    print(result, flush=True)
    # The lesson runs about 200 evaluations at 128 pixels: 0.3 s each keeps them to a minute.
    checks = [check("style transfer: CPU seconds per step at the lesson's size (one thread)",
                    result["style_step"]["lesson (longer side 128)"]["cpu_seconds"], "<=", 0.3,
                    "one forward and backward pass through VGG16 up to conv5_1")]
    if not args.skip_lessons:
        lesson_env.lesson_env(ROOT, log=print)
        python = str(lesson_env.env_python(ROOT / ".cache" / "lesson-env"))
        with tempfile.TemporaryDirectory() as tmp:
            cache = Path(tmp) / "learntorch-cache"
            prepare_cache(cache)
            env = {**lesson_env.kernel_environment(ROOT, [], 1), "LEARNTORCH_CACHE": str(cache)}
            env.pop("LEARNTORCH_LESSON_GUARD")
            result["shared"] = {}
            for name in SHARED:
                result["shared"][name] = timed([python, "-m", "learntorch.zoo", name], env)
                print(name, result["shared"][name], flush=True)
            result["lessons"] = {}
            for name in LESSONS:
                out = Path(tmp) / f"{name}.ipynb"
                command = [sys.executable, str(ROOT / "tools" / "lessons.py"), "--execute",
                           str(ROOT / "docs" / "lessons" / "images" / f"{name}.md"), "--out", str(out),
                           "--root", str(ROOT), "--threads", "1"]
                result["lessons"][name] = timed(command, {**os.environ, "LEARNTORCH_CACHE": str(cache)})
                print(name, result["lessons"][name], flush=True)
        total = sum(r["cpu_seconds"] for r in result["lessons"].values()) + \
            sum(r["cpu_seconds"] for r in result["shared"].values())
        result["part_cpu_seconds"] = round(total, 1)
        checks += [check(f"lesson {name}: CPU seconds", r["cpu_seconds"], "<=", 120)
                   for name, r in result["lessons"].items()]
        checks.append(check("whole part (6 lessons, GAN, style transfer): CPU seconds", result["part_cpu_seconds"],
                            "<=", 720, "the Fashion-MNIST CNN is shared with the CNN part and not counted"))
    result["checks"] = checks
    result["machine"] = {"cpu": cpu_model(), "cores": os.cpu_count(),
                         "load_average_1min": round(os.getloadavg()[0], 2), "python": platform.python_version()}
    out = ROOT / "benchmarks" / "results" / "images.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
