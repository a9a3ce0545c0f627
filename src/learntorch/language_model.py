"""A character-level language model of Shakespeare: baselines, bits per character, training.

The steps of the char-LSTM lesson, in one place for the shared model and the benchmark:

- :func:`split_text`: the first 90 % of the text trains, the last 10 % validates;
- :func:`ngram_bits`: what counting alone achieves, the unigram and bigram baselines;
- :func:`bits_per_char`: how well a model predicts held-out text (lower is better);
- :func:`train_char_lstm`: a :class:`~learntorch.models.CharLSTM` trained by
  :data:`CHAR_LSTM_RECIPE`, the hidden state carried from batch to batch.

*Bits per character* is the cross-entropy in base 2: the average number of bits an ideal
code built on the model's probabilities needs per character. Uniform guessing among 65
characters costs $\\log_2 65 \\approx 6.0$ bits.
"""

from __future__ import annotations

import math
import os
import time

import torch
from torch import nn

from learntorch.data.loaders import sequence_batches
from learntorch.data.text import TRAGEDIES, Vocabulary, shakespeare
from learntorch.models import CharLSTM

CHAR_LSTM_RECIPE = {
    "plays": list(TRAGEDIES),
    "val_fraction": 0.1,   # the last 10 % of the text (most of Timon of Athens) is held out
    "embed": 32,
    "hidden": 256,
    "layers": 1,
    "dropout": 0.0,
    "batch_size": 32,      # rows read side by side
    "steps": 100,          # characters per row per batch (backpropagation through 100 steps)
    "lr": 4e-3,            # Adam, decayed along a cosine to 0 over the run
    "epochs": 4,
    "clip": 5.0,
    "seed": 0,
}


def split_text(ids: torch.Tensor, val_fraction: float = 0.1) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``1 - val_fraction`` of a sequence for training, the rest for validation.

    Examples:
        >>> train, val = split_text(torch.arange(10), 0.2)
        >>> train.tolist(), val.tolist()
        ([0, 1, 2, 3, 4, 5, 6, 7], [8, 9])
    """
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be between 0 and 1 (exclusive), got {val_fraction}")
    cut = int(len(ids) * (1 - val_fraction))
    return ids[:cut], ids[cut:]


def ngram_bits(train: torch.Tensor, val: torch.Tensor, vocab_size: int, order: int = 2) -> float:
    """Bits per character on ``val`` of a unigram (``order=1``) or bigram (``order=2``) count model.

    The unigram model predicts every character with its frequency in ``train``; the bigram
    model with its frequency after the previous character. Every count starts at 1
    (add-one smoothing) so an unseen pair is unlikely, never impossible.

    Examples:
        >>> ids = torch.tensor([0, 1] * 50)            # "abab...": the next one is certain
        >>> round(ngram_bits(ids, ids, 2, order=1), 2), round(ngram_bits(ids, ids, 2, order=2), 2)
        (1.0, 0.03)
    """
    if order == 1:
        counts = torch.bincount(train, minlength=vocab_size).double() + 1
        return -(counts / counts.sum()).log2()[val].mean().item()
    if order == 2:
        counts = torch.ones(vocab_size, vocab_size, dtype=torch.float64)
        counts.index_put_((train[:-1], train[1:]), torch.ones(len(train) - 1, dtype=torch.float64), accumulate=True)
        probs = counts / counts.sum(dim=1, keepdim=True)          # row: previous character
        return -probs[val[:-1], val[1:]].log2().mean().item()
    raise ValueError(f"order must be 1 (unigram) or 2 (bigram), got {order!r}")


@torch.no_grad()
def bits_per_char(model: nn.Module, ids: torch.Tensor, batch_size: int = 16, steps: int = 200) -> float:
    """Mean cross-entropy, in bits, of ``model``'s next-character predictions over ``ids``.

    The text is read in :func:`~learntorch.data.sequence_batches` with the state carried
    from one batch to the next, as in training.

    Examples:
        >>> model = CharLSTM(5, 4, 8)
        >>> 0 < bits_per_char(model, torch.randint(0, 5, (500,)), 4, 20) < 4
        True
    """
    was_training = model.training
    model.eval()
    total, count, state = 0.0, 0, None
    for x, y in sequence_batches(ids, batch_size, steps):
        logits, state = model(x, state)
        total += nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="sum").item()
        count += y.numel()
    model.train(was_training)
    return total / count / math.log(2)


def train_char_lstm(recipe: dict = CHAR_LSTM_RECIPE, progress: bool = False):
    """Train a :class:`~learntorch.models.CharLSTM` on Shakespeare by ``recipe``; no caching.

    Returns ``(model, record)``: ``record`` holds the vocabulary's characters, the per-epoch
    training and validation bits per character, the unigram and bigram baselines on the
    same split, and the seconds (wall clock and CPU).

    Examples:
        >>> tiny = {**CHAR_LSTM_RECIPE, "plays": ["macbeth"], "hidden": 16, "epochs": 1, "steps": 20}
        >>> model, record = train_char_lstm(tiny)
        >>> len(record["history"]["val_bits"]), record["bigram_bits"] < record["unigram_bits"]
        (1, True)
    """
    wall, cpu = time.perf_counter(), time.process_time()
    text = shakespeare(recipe["plays"])
    vocab = Vocabulary.build([text])
    train, val = split_text(torch.tensor(vocab.encode(text)), recipe["val_fraction"])
    torch.manual_seed(recipe["seed"])
    model = CharLSTM(len(vocab), recipe["embed"], recipe["hidden"], recipe["layers"], recipe["dropout"])
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe["lr"])
    batches = sequence_batches(train, recipe["batch_size"], recipe["steps"])
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=recipe["epochs"] * len(batches))
    history = {"train_bits": [], "val_bits": [], "seconds": []}
    for epoch in range(recipe["epochs"]):
        start, total, state = time.perf_counter(), 0.0, None
        model.train()
        for x, y in batches if not progress else _bar(batches, epoch):
            if state is not None:  # keep the state's values, cut its history: backprop stops here
                state = tuple(s.detach() for s in state)
            logits, state = model(x, state)
            loss = nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten())
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), recipe["clip"])
            optimizer.step()
            schedule.step()
            total += loss.item()
        history["train_bits"].append(total / len(batches) / math.log(2))
        history["val_bits"].append(bits_per_char(model, val))
        history["seconds"].append(time.perf_counter() - start)
    record = {
        "vocab": vocab.tokens, "recipe": dict(recipe), "history": history,
        "val_bits": history["val_bits"][-1],
        "unigram_bits": ngram_bits(train, val, len(vocab), 1),
        "bigram_bits": ngram_bits(train, val, len(vocab), 2),
        "train_chars": len(train), "val_chars": len(val),
        "train_seconds": time.perf_counter() - wall, "cpu_seconds": time.process_time() - cpu,
        "threads": torch.get_num_threads(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }
    return model.eval(), record


def _bar(batches, epoch):
    from tqdm import tqdm

    return tqdm(batches, desc=f"epoch {epoch + 1}", leave=False)
