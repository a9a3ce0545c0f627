"""The Sequences part's targets: accuracy against baselines, and what each lesson costs on one thread.

Measures, and writes to benchmarks/results/sequences.json with the targets as ``checks``:

- the sentiment LSTM's test accuracy on IMDB (target >= 85 %), with the bag-of-words logistic
  regression trained here on the same split, vocabulary and 256 tokens beside it, and the
  attention-pooling variant;
- the character LSTM's validation bits per character against the bigram baseline on the same
  split (target: below it);
- the sunspots RNN's test error over five seeds against the last-value forecast (target: below);
- each lesson's execution, run as a script with one thread in a scratch folder: wall-clock and
  CPU seconds (target: <= 120 s each; CPU seconds are what one idle core would take, wall-clock
  depends on the machine's load), and the part's total with its shared models (target ~600 s).

The shared models are the cached ones the lessons load (``learntorch.zoo``; trained first if
missing, and their training seconds come from their records). ``--retrain`` trains them again.

    python benchmarks/sequences.py               # everything (minutes when the models are cached)
    python benchmarks/sequences.py --dry-run     # tiny models, no lessons, no JSON file
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from machine import cpu_model  # benchmarks/machine.py
from targets import check  # benchmarks/targets.py

from learntorch import zoo
from learntorch.data import imdb_reviews
from learntorch.sentiment import SENTIMENT_RECIPE, encode_reviews, sentiment_scores, train_bag_of_words
from learntorch.series import SUNSPOTS_RECIPE, train_series_rnn

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "benchmarks" / "results" / "sequences.json"
LESSONS = ["rnn-time-series", "char-lstm", "word-embeddings", "sentiment", "attention"]
LESSON_BUDGET = 120   # seconds per lesson on one thread (the brief: <= 2 min)
PART_BUDGET = 600     # seconds for the whole part, lessons and shared models (~10 min)
TINY = {"char": dict(plays=["macbeth"], hidden=32, epochs=1, steps=50),
        "sentiment": dict(subset=2000, vocab_size=2000, epochs=1, length=64)}


def sentiment(dry_run: bool, retrain: bool) -> dict:
    out = {}
    for pooling in ("last", "attention"):
        # The models the site uses (zoo.SHARED), or tiny ones for a dry run.
        over = TINY["sentiment"] if dry_run else {"epochs": zoo.SENTIMENT_EPOCHS[pooling]}
        model, vocab = zoo.sentiment_rnn(pooling, retrain=retrain, **over)
        record = zoo.sentiment_rnn_record(pooling, **over)
        out[pooling] = {"test_accuracy": round(record["test_accuracy"], 4),
                        "val_accuracy": round(record["val_accuracy"], 4), "best_epoch": record["best_epoch"],
                        "val_accuracy_per_epoch": [round(a, 4) for a in record["history"]["val_accuracy"]],
                        "train_cpu_seconds": round(record["cpu_seconds"], 1),
                        "train_wall_seconds": round(record["train_seconds"], 1)}
    length = {**SENTIMENT_RECIPE, **over}["length"]
    texts, labels = imdb_reviews("train")
    if dry_run:
        texts, labels = texts[:over["subset"]], labels[:over["subset"]]
    x_train, _ = encode_reviews(texts, vocab, length)
    start = time.process_time()
    bow = train_bag_of_words(x_train, torch.tensor(labels), len(vocab))
    bow_seconds = time.process_time() - start
    x_test, _ = encode_reviews(imdb_reviews("test")[0], vocab, length)
    bow_test = sentiment_scores(bow, x_test, torch.tensor(imdb_reviews("test")[1]))["accuracy"]
    out["bag_of_words"] = {"test_accuracy": round(bow_test, 4), "train_cpu_seconds": round(bow_seconds, 1)}
    return out


def char_lstm(dry_run: bool, retrain: bool) -> dict:
    over = TINY["char"] if dry_run else {}
    zoo.char_lstm(retrain=retrain, **over)
    record = zoo.char_lstm_record(**over)
    return {"val_bits": round(record["val_bits"], 3), "bigram_bits": round(record["bigram_bits"], 3),
            "unigram_bits": round(record["unigram_bits"], 3),
            "val_bits_per_epoch": [round(b, 3) for b in record["history"]["val_bits"]],
            "train_cpu_seconds": round(record["cpu_seconds"], 1),
            "train_wall_seconds": round(record["train_seconds"], 1)}


def sunspots(dry_run: bool) -> dict:
    recipe = {**SUNSPOTS_RECIPE, "iterations": 20} if dry_run else SUNSPOTS_RECIPE
    records = [train_series_rnn({**recipe, "seed": s})[1] for s in range(5)]
    errors = torch.tensor([r["rnn_mae"] for r in records])
    return {"rnn_mae_mean": round(errors.mean().item(), 2), "rnn_mae_std": round(errors.std().item(), 2),
            "rnn_mae_worst": round(errors.max().item(), 2), "baseline_mae": round(records[0]["baseline_mae"], 2),
            "seeds": 5}


def run_lesson(name: str) -> dict:
    """Execute a lesson as a script, one thread, in a scratch folder; wall-clock and CPU seconds."""
    import jupytext

    notebook = jupytext.read(ROOT / "docs" / "lessons" / "sequences" / f"{name}.md")
    script = jupytext.writes(notebook, fmt="py:percent")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "lesson.py").write_text(script)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        load = os.getloadavg()[0]
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "lesson.py"], cwd=folder, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise RuntimeError(f"lesson {name} failed:\n{result.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1), "load_average_before": round(load, 2)}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true",
                        help="tiny models, lessons not run, no JSON file (default: off)")
    parser.add_argument("--retrain", action="store_true",
                        help="train the shared models again instead of reading the cache (default: off)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # the figures are for one thread, as the lessons run
    load_before = os.getloadavg()
    result = {"benchmark": "sequences", "sentiment": sentiment(args.dry_run, args.retrain),
              "char_lstm": char_lstm(args.dry_run, args.retrain), "sunspots": sunspots(args.dry_run)}
    result["lessons"] = {} if args.dry_run else {name: run_lesson(name) for name in LESSONS}
    s, c, t = result["sentiment"], result["char_lstm"], result["sunspots"]
    checks = [
        check("sentiment LSTM test accuracy (IMDB)", s["last"]["test_accuracy"], ">=", 0.85,
              f"bag-of-words logistic regression on the same split: {s['bag_of_words']['test_accuracy']}"),
        check("char-LSTM validation bits per character", c["val_bits"], "<=", c["bigram_bits"],
              "target: the bigram baseline on the same split"),
        check("sunspots RNN test error (mean of 5 seeds)", t["rnn_mae_mean"], "<=", t["baseline_mae"],
              "target: the last-value forecast"),
    ]
    for name, lesson in result["lessons"].items():
        checks.append(check(f"{name} CPU seconds (one thread)", lesson["cpu_seconds"], "<=", LESSON_BUDGET,
                            f"wall-clock {lesson['wall_seconds']} s at load {lesson['load_average_before']}"))
    if result["lessons"]:
        shared = c["train_cpu_seconds"] + s["last"]["train_cpu_seconds"] + s["attention"]["train_cpu_seconds"]
        total = sum(lesson["cpu_seconds"] for lesson in result["lessons"].values()) + shared
        checks.append(check("part CPU seconds: lessons + shared models", round(total, 1), "<=", PART_BUDGET,
                            f"shared models {shared:.0f} s"))
    result["checks"] = checks
    result.update({
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
        "cpu_count": os.cpu_count(), "cpu": cpu_model(), "python": platform.python_version(),
        "torch": str(torch.__version__), "dry_run": args.dry_run,
    })
    text = json.dumps(result, indent=2)
    print(text)
    if not args.dry_run:
        RESULT.parent.mkdir(parents=True, exist_ok=True)
        RESULT.write_text(text + "\n")
    return result


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
