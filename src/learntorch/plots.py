"""Pictures the lessons draw. Each function takes data (never a model or a loop) and
returns the matplotlib ``Figure``, so a notebook shows it and a script can save it."""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch

from learntorch._checks import check_class_indices, check_finite_tensor, check_positive_int, check_tensor


def _as_image(image: torch.Tensor):
    """A (H, W) or (H, W, 3) array for imshow from a (1|3, H, W), (H, W) or flat 784 tensor."""
    image = torch.as_tensor(image).detach().cpu().float()
    if image.dim() == 1 and image.numel() == 784:
        image = image.view(28, 28)
    if image.dim() == 3 and image.shape[0] in (1, 3):
        image = image.permute(1, 2, 0).squeeze(-1)
    if image.dim() not in (2, 3):
        raise ValueError(f"expected an image of shape (C, H, W), (H, W) or (784,), got {tuple(image.shape)}")
    return image.numpy()


def view_classify(image: torch.Tensor, probs: torch.Tensor, class_names=None):
    """The classifier plot: the image on the left, its class probabilities as bars on the right.

    Examples:
        >>> fig = view_classify(torch.rand(1, 28, 28), torch.softmax(torch.randn(10), 0))
        >>> len(fig.axes)
        2
    """
    probs = torch.as_tensor(probs).detach().cpu().float().flatten()
    check_finite_tensor("probs", probs)
    if len(probs) == 0 or probs.min() < 0 or probs.max() > 1:
        raise ValueError("probs must be class probabilities in [0, 1]; got logits? apply "
                         "torch.softmax(logits, dim=1) (or learntorch.training.predict) first")
    if class_names is None:
        class_names = [str(i) for i in range(len(probs))]
    if len(class_names) != len(probs):
        raise ValueError(f"got {len(probs)} probabilities but {len(class_names)} class names")
    fig, (ax_img, ax_bar) = plt.subplots(1, 2, figsize=(7, 3.2), width_ratios=(1, 1.4))
    ax_img.imshow(_as_image(image), cmap="gray")
    ax_img.axis("off")
    ax_bar.barh(range(len(probs)), probs.numpy(), color="tab:blue")
    ax_bar.set_yticks(range(len(probs)), class_names)
    ax_bar.invert_yaxis()  # first class at the top
    ax_bar.set_xlim(0, 1.05)
    ax_bar.set_xlabel("probability")
    fig.tight_layout()
    return fig


def image_grid(images, labels=None, class_names=None, ncols: int = 8, size: float = 1.3):
    """A grid of images with optional titles (class names, or labels as numbers).

    Examples:
        >>> fig = image_grid(torch.rand(6, 1, 28, 28), torch.arange(6), ncols=3)
        >>> len(fig.axes)
        6
    """
    images = list(images)
    if not images:
        raise ValueError("image_grid got no images")
    check_positive_int("ncols", ncols)
    if labels is not None and len(labels) < len(images):
        raise ValueError(f"image_grid got {len(images)} images but only {len(labels)} labels")
    if labels is not None and class_names is not None:
        check_class_indices("labels", torch.as_tensor(labels)[:len(images)], len(class_names))
    nrows = (len(images) + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, min(ncols, len(images)), squeeze=False,
                             figsize=(size * min(ncols, len(images)), size * nrows * 1.15))
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= len(images):
            continue
        ax.imshow(_as_image(images[i]), cmap="gray")
        if labels is not None:
            label = int(labels[i])
            ax.set_title(class_names[label] if class_names else str(label), fontsize=8)
    fig.tight_layout()
    return fig


def plot_history(history: dict, metric: str = "loss"):
    """Training (and validation, when present) ``loss`` or ``accuracy`` per epoch from ``fit``.

    Examples:
        >>> fig = plot_history({"train_loss": [1.0, 0.5], "val_loss": [1.1, 0.7]})
        >>> [line.get_label() for line in fig.axes[0].lines]
        ['training', 'validation']
    """
    if metric not in {"loss", "accuracy"}:
        raise ValueError(f"metric must be 'loss' or 'accuracy', got {metric!r}")
    if not isinstance(history, dict):
        raise ValueError(f"history must be the dict that fit() returned, got {type(history).__name__}")
    train = history.get(f"train_{metric}") or []
    if not train:
        raise ValueError(f"history has no train_{metric} values; pass the dict that fit() returned")
    fig, ax = plt.subplots(figsize=(6, 3.5))
    epochs = range(1, len(train) + 1)
    ax.plot(epochs, train, marker="o", label="training")
    if history.get(f"val_{metric}"):
        ax.plot(epochs, history[f"val_{metric}"], marker="o", label="validation")
    if history.get("best_epoch") is not None:
        ax.axvline(history["best_epoch"] + 1, color="gray", linestyle=":", label="best epoch")
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    ax.legend()
    fig.tight_layout()
    return fig


def confusion_matrix(targets: torch.Tensor, predictions: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Counts ``m[true, predicted]`` as a ``(num_classes, num_classes)`` int64 tensor.

    Examples:
        >>> confusion_matrix(torch.tensor([0, 1, 1]), torch.tensor([0, 1, 0]), 2)
        tensor([[1, 0],
                [1, 1]])
    """
    check_positive_int("num_classes", num_classes)
    targets, predictions = torch.as_tensor(targets).flatten(), torch.as_tensor(predictions).flatten()
    if targets.shape != predictions.shape:
        raise ValueError(f"targets and predictions differ in length: {len(targets)} vs {len(predictions)}")
    check_class_indices("targets", targets, num_classes)  # also refuses 0.5: a label is a whole class
    check_class_indices("predictions", predictions, num_classes)
    index = targets.long() * num_classes + predictions.long()  # one bin per (true, predicted) pair
    return torch.bincount(index, minlength=num_classes ** 2).view(num_classes, num_classes)


def plot_confusion_matrix(matrix: torch.Tensor, class_names=None):
    """Draw a confusion matrix with counts in the cells; rows are true classes.

    Examples:
        >>> fig = plot_confusion_matrix(torch.tensor([[5, 1], [2, 7]]), ["cat", "dog"])
        >>> fig.axes[0].get_ylabel()
        'true class'
    """
    matrix = torch.as_tensor(matrix)
    if matrix.dim() != 2 or matrix.shape[0] != matrix.shape[1] or matrix.numel() == 0:
        raise ValueError(f"matrix must be a square (classes, classes) tensor of counts, got shape "
                         f"{tuple(matrix.shape)}; make one with confusion_matrix(targets, predictions, n)")
    n = matrix.shape[0]
    names = class_names or [str(i) for i in range(n)]
    if len(names) != n:
        raise ValueError(f"got a {n}x{n} matrix but {len(names)} class names")
    fig, ax = plt.subplots(figsize=(0.6 * n + 2.5, 0.6 * n + 2))
    ax.imshow(matrix.numpy(), cmap="Blues")
    ax.set_xticks(range(n), names, rotation=45, ha="right")
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    high = matrix.max().item() / 2
    for (i, j), count in zip(((i, j) for i in range(n) for j in range(n)), matrix.flatten().tolist()):
        ax.text(j, i, count, ha="center", va="center", fontsize=7,
                color="white" if count > high else "black")
    fig.tight_layout()
    return fig


def _grid(n: int, ncols: int, size: float):
    """A figure with ``n`` image axes laid out ``ncols`` wide, axes switched off."""
    ncols = max(1, min(ncols, n))
    nrows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, squeeze=False, figsize=(size * ncols, size * nrows))
    for ax in axes.flat:
        ax.axis("off")
    return fig, list(axes.flat)[:n]


def plot_filters(weight: torch.Tensor, ncols: int = 8, size: float = 1.0):
    """Draw the kernels of a conv layer, one small image per output channel.

    Args:
        weight: a conv layer's ``weight`` of shape ``(out_channels, in_channels, kH, kW)``.
            Grey inputs (1 channel) are drawn in grey, RGB inputs (3) in colour after
            scaling each kernel to [0, 1]; other channel counts show input channel 0.
        ncols: kernels per row.

    Blue-to-red colouring is used for grey kernels so that positive (red) and negative
    (blue) weights are easy to tell apart; white is zero.

    Examples:
        >>> fig = plot_filters(torch.randn(6, 1, 3, 3), ncols=3)
        >>> len([ax for ax in fig.axes if ax.images])
        6
    """
    weight = check_tensor("weight", weight, hint="torch.as_tensor(weight)").detach().cpu().float()
    check_positive_int("ncols", ncols)
    if weight.dim() != 4:
        raise ValueError(f"plot_filters expects conv weights of shape (out_channels, in_channels, "
                         f"kH, kW), got {tuple(weight.shape)}")
    fig, axes = _grid(len(weight), ncols, size)
    for i, (ax, kernel) in enumerate(zip(axes, weight)):
        if kernel.shape[0] == 3:  # RGB kernel: min-max scale so it can be shown as colour
            low, high = kernel.min(), kernel.max()
            ax.imshow(((kernel - low) / (high - low + 1e-8)).permute(1, 2, 0).numpy())
        else:
            limit = kernel[0].abs().max().item() or 1.0
            ax.imshow(kernel[0].numpy(), cmap="bwr", vmin=-limit, vmax=limit)
        ax.set_title(str(i), fontsize=7)
    fig.tight_layout()
    return fig


def plot_feature_maps(maps: torch.Tensor, ncols: int = 8, max_maps: int = 32, size: float = 1.2,
                      title: str | None = None):
    """Draw the channels of one feature map tensor as grey images.

    Args:
        maps: ``(C, H, W)``, or ``(1, C, H, W)`` for a batch of one (e.g. a value from
            :func:`learntorch.features.feature_maps`).
        ncols: images per row; max_maps: draw at most this many channels.
        title: an optional figure title, e.g. the layer's name and shape.

    Examples:
        >>> fig = plot_feature_maps(torch.rand(1, 10, 14, 14), ncols=5, max_maps=8)
        >>> len([ax for ax in fig.axes if ax.images])
        8
    """
    maps = torch.as_tensor(maps).detach().cpu().float()
    if maps.dim() == 4 and maps.shape[0] == 1:
        maps = maps[0]
    if maps.dim() != 3:
        raise ValueError(f"plot_feature_maps expects (C, H, W) or (1, C, H, W), got {tuple(maps.shape)}")
    check_positive_int("max_maps", max_maps)
    check_positive_int("ncols", ncols)
    maps = maps[:max_maps]
    fig, axes = _grid(len(maps), ncols, size)
    for i, (ax, fmap) in enumerate(zip(axes, maps)):
        ax.imshow(fmap.numpy(), cmap="gray")
        ax.set_title(str(i), fontsize=7)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig
