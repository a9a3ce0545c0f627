"""Sentiment of movie reviews: from text to padded ids, batching by length, training, and a baseline.

The steps of the sentiment lesson, in one place for the shared models and the benchmark:

- :func:`build_vocabulary` and :func:`encode_reviews`: text -> tokens -> ids -> rows of one length;
- :func:`length_batches`: batches of reviews of similar length, so little time goes on padding;
- :func:`train_sentiment`: a :class:`~learntorch.models.SentimentRNN` trained by
  :data:`SENTIMENT_RECIPE` on the IMDB training split, the epoch with the best validation
  accuracy kept;
- :class:`BagOfWords` and :func:`train_bag_of_words`: logistic regression on which words a
  review contains, the baseline any sequence model has to be compared with.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Sequence

import torch
from torch import nn

from learntorch.data.text import Vocabulary, imdb_reviews, pad_sequences, tokenize
from learntorch.models import SentimentRNN

SPECIALS = ("<pad>", "<unk>")  # id 0 pads rows, id 1 stands for any word not in the vocabulary

SENTIMENT_RECIPE = {
    "vocab_size": 20_000,   # the most frequent training words (plus <pad> and <unk>)
    "length": 256,          # tokens kept per review: the first 256 (71 % of reviews are shorter)
    "embed": 64,
    "hidden": 64,
    "pooling": "last",      # or "attention"
    "dropout": 0.0,
    "batch_size": 64,
    "lr": 3e-3,             # Adam, decayed along a cosine to 0 over the run
    "epochs": 3,            # the pass with the best validation accuracy is kept
    "clip": 5.0,            # gradient-norm clipping
    "seed": 0,
    "subset": None,         # train on this many training reviews (None: all 39,582)
}


def build_vocabulary(texts: Sequence[str], size: int) -> Vocabulary:
    """The ``size`` most frequent tokens of ``texts``, after ``<pad>`` (id 0) and ``<unk>`` (id 1).

    Examples:
        >>> build_vocabulary(["a fine film", "a dull film"], size=5).tokens
        ['<pad>', '<unk>', 'a', 'film', 'dull']
    """
    return Vocabulary.build((tokenize(t) for t in texts), max_size=size, specials=SPECIALS)


def encode_reviews(texts: Sequence[str], vocab: Vocabulary, length: int):
    """Token ids of each review, padded or cut to ``length``: ``(ids (N, length), lengths (N,))``.

    Words outside the vocabulary become ``<unk>``; a review longer than ``length`` keeps its
    first ``length`` tokens. A review with no tokens at all raises ``ValueError``.

    Examples:
        >>> vocab = build_vocabulary(["a fine film", "a dull film"], size=5)
        >>> ids, lengths = encode_reviews(["A fine, fine film!", "dull"], vocab, length=4)
        >>> ids.tolist(), lengths.tolist()
        ([[2, 1, 1, 3], [4, 0, 0, 0]], [4, 1])
    """
    return pad_sequences([vocab.encode(tokenize(t)) for t in texts], length, pad_id=vocab.ids[SPECIALS[0]])


def length_batches(lengths: torch.Tensor, batch_size: int, generator: torch.Generator | None = None):
    """Batches of row indices, each of reviews of similar length, in a random order.

    Shuffle, sort by length (the sort is stable, so equal lengths stay shuffled), cut into
    batches, shuffle the batches. A batch is then cut to its longest review, and few of its
    positions are padding.

    Examples:
        >>> batches = length_batches(torch.tensor([5, 1, 4, 2, 3, 6]), 2, torch.Generator().manual_seed(0))
        >>> sorted(sorted(b.tolist()) for b in batches)   # pairs of neighbouring lengths
        [[0, 5], [1, 3], [2, 4]]
    """
    order = torch.randperm(len(lengths), generator=generator)
    order = order[lengths[order].argsort(stable=True)]
    batches = list(order.split(batch_size))
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]


@torch.no_grad()
def sentiment_scores(model: nn.Module, ids: torch.Tensor, labels: torch.Tensor, batch_size: int = 500) -> dict:
    """Mean binary cross-entropy ``loss`` and ``accuracy`` of ``model``'s logits on padded ``ids``.

    Examples:
        >>> model = SentimentRNN(10, 4, 4)
        >>> sorted(sentiment_scores(model, torch.tensor([[2, 3], [4, 0]]), torch.tensor([1, 0])))
        ['accuracy', 'loss']
    """
    was_training = model.training
    model.eval()
    total, correct = 0.0, 0
    lengths = (ids != 0).sum(dim=1)
    # Shortest reviews first, so each batch is cut to its own longest review: little padding to run.
    for idx in lengths.argsort(stable=True).split(batch_size):
        xb, yb = ids[idx, :int(lengths[idx].max())], labels[idx]
        logits = model(xb)
        total += nn.functional.binary_cross_entropy_with_logits(logits, yb.float(), reduction="sum").item()
        correct += ((logits > 0).long() == yb).sum().item()
    model.train(was_training)
    return {"loss": total / len(labels), "accuracy": correct / len(labels)}


def _imdb_tensors(recipe: dict):
    """Vocabulary and ``(ids, labels)`` of the train, val and test splits for ``recipe``."""
    texts, labels = imdb_reviews("train", seed=0)
    if recipe["subset"] is not None:
        texts, labels = texts[:recipe["subset"]], labels[:recipe["subset"]]
    vocab = build_vocabulary(texts, recipe["vocab_size"])
    splits = {"train": (texts, labels), "val": imdb_reviews("val", seed=0), "test": imdb_reviews("test", seed=0)}
    tensors = {name: (encode_reviews(t, vocab, recipe["length"])[0], torch.tensor(y))
               for name, (t, y) in splits.items()}
    return vocab, tensors


def train_sentiment(recipe: dict = SENTIMENT_RECIPE, progress: bool = False):
    """Train a :class:`~learntorch.models.SentimentRNN` on IMDB by ``recipe``; no caching.

    Each epoch goes once over the training reviews in :func:`length_batches`; after each,
    the validation accuracy is measured and the best epoch's weights are kept. Returns
    ``(model, record)``: ``record`` holds the vocabulary's tokens, the per-epoch history,
    the best epoch, validation and test accuracy, and the seconds (wall clock and CPU).

    Examples:
        >>> tiny = {**SENTIMENT_RECIPE, "subset": 200, "vocab_size": 500, "epochs": 1, "length": 32}
        >>> model, record = train_sentiment(tiny)
        >>> record["train_size"], len(record["vocab"]), 0 <= record["test_accuracy"] <= 1
        (200, 500, True)
    """
    wall, cpu = time.perf_counter(), time.process_time()
    vocab, data = _imdb_tensors(recipe)
    (x_train, y_train), (x_val, y_val) = data["train"], data["val"]
    torch.manual_seed(recipe["seed"])
    model = SentimentRNN(len(vocab), recipe["embed"], recipe["hidden"], recipe["pooling"], recipe["dropout"])
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe["lr"])
    generator = torch.Generator().manual_seed(recipe["seed"])
    lengths = (x_train != 0).sum(dim=1)
    n_steps = recipe["epochs"] * len(length_batches(lengths, recipe["batch_size"]))
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=n_steps)
    criterion = nn.BCEWithLogitsLoss()
    history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "seconds": []}
    best = (-1.0, None, 0)
    for epoch in range(recipe["epochs"]):
        start, total = time.perf_counter(), 0.0
        batches = length_batches(lengths, recipe["batch_size"], generator)
        for idx in batches if not progress else _bar(batches, epoch):
            xb = x_train[idx, :int(lengths[idx].max())]      # (B, longest review in the batch)
            loss = criterion(model(xb), y_train[idx].float())
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), recipe["clip"])
            optimizer.step()
            schedule.step()
            total += loss.item() * len(idx)
        val = sentiment_scores(model, x_val, y_val)
        for name, value in [("train_loss", total / len(x_train)), ("val_loss", val["loss"]),
                            ("val_accuracy", val["accuracy"]), ("seconds", time.perf_counter() - start)]:
            history[name].append(value)
        if val["accuracy"] > best[0]:
            best = (val["accuracy"], copy.deepcopy(model.state_dict()), epoch + 1)
    model.load_state_dict(best[1])
    test = sentiment_scores(model, *data["test"])
    record = {
        "vocab": vocab.tokens, "recipe": dict(recipe), "history": history, "best_epoch": best[2],
        "val_accuracy": best[0], "test_accuracy": test["accuracy"], "test_loss": test["loss"],
        "train_size": len(x_train), "train_seconds": time.perf_counter() - wall,
        "cpu_seconds": time.process_time() - cpu, "threads": torch.get_num_threads(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }
    return model.eval(), record


def _bar(batches, epoch):
    from tqdm import tqdm

    return tqdm(batches, desc=f"epoch {epoch + 1}", leave=False)


# --- The bag-of-words baseline --------------------------------------------------------------


class BagOfWords(nn.Module):
    """Logistic regression on the set of words in a review: one learned weight per word.

    The logit is a bias plus the sum of the weights of the distinct words the review
    contains (``nn.EmbeddingBag`` with one number per word and ``mode="sum"``), which is a
    linear layer applied to a 0/1 vector of the vocabulary's size without building it. Word
    order is ignored. Padding and ``<unk>`` get no weight.

    Examples:
        >>> model = BagOfWords(vocab_size=6)
        >>> model(torch.tensor([[2, 3, 3, 0], [5, 0, 0, 0]])).shape
        torch.Size([2])
    """

    def __init__(self, vocab_size: int):
        super().__init__()
        self.weights = nn.EmbeddingBag(vocab_size, 1, mode="sum")
        nn.init.zeros_(self.weights.weight)
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        present = torch.zeros(len(ids), self.weights.num_embeddings, dtype=torch.bool, device=ids.device)
        present.scatter_(1, ids, True)   # (B, vocab): which words occur (repeats count once)
        present[:, :2] = False           # <pad> and <unk> are not words
        rows, words = present.nonzero(as_tuple=True)
        offsets = torch.searchsorted(rows, torch.arange(len(ids), device=ids.device))  # where each review starts
        return self.weights(words, offsets).squeeze(1) + self.bias


def train_bag_of_words(x_train: torch.Tensor, y_train: torch.Tensor, vocab_size: int, epochs: int = 2,
                       lr: float = 0.01, weight_decay: float = 1e-4, batch_size: int = 256, seed: int = 0):
    """Fit :class:`BagOfWords` with Adam and an L2 penalty on the word weights; returns the model.

    Examples:
        >>> x = torch.tensor([[2, 0], [3, 0]] * 20)
        >>> y = torch.tensor([1, 0] * 20)
        >>> model = train_bag_of_words(x, y, vocab_size=4, epochs=20)
        >>> (model(x) > 0).long().eq(y).all().item()
        True
    """
    torch.manual_seed(seed)
    model = BagOfWords(vocab_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for idx in torch.randperm(len(x_train), generator=generator).split(batch_size):
            loss = nn.functional.binary_cross_entropy_with_logits(model(x_train[idx]), y_train[idx].float())
            loss = loss + weight_decay * model.weights.weight.pow(2).sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model.eval()
