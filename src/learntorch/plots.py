"""Pictures the lessons draw. Each function takes data (never a model or a loop) and
returns the matplotlib ``Figure``, so a notebook shows it and a script can save it."""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch


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

    >>> fig = view_classify(torch.rand(1, 28, 28), torch.softmax(torch.randn(10), 0))
    >>> len(fig.axes)
    2
    """
    probs = torch.as_tensor(probs).detach().cpu().flatten()
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

    >>> fig = image_grid(torch.rand(6, 1, 28, 28), torch.arange(6), ncols=3)
    >>> len(fig.axes)
    6
    """
    images = list(images)
    if not images:
        raise ValueError("image_grid got no images")
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

    >>> fig = plot_history({"train_loss": [1.0, 0.5], "val_loss": [1.1, 0.7]})
    >>> [line.get_label() for line in fig.axes[0].lines]
    ['training', 'validation']
    """
    if metric not in {"loss", "accuracy"}:
        raise ValueError(f"metric must be 'loss' or 'accuracy', got {metric!r}")
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

    >>> confusion_matrix(torch.tensor([0, 1, 1]), torch.tensor([0, 1, 0]), 2)
    tensor([[1, 0],
            [1, 1]])
    """
    targets, predictions = torch.as_tensor(targets).flatten(), torch.as_tensor(predictions).flatten()
    if targets.shape != predictions.shape:
        raise ValueError(f"targets and predictions differ in length: {len(targets)} vs {len(predictions)}")
    index = targets.long() * num_classes + predictions.long()  # one bin per (true, predicted) pair
    return torch.bincount(index, minlength=num_classes ** 2).view(num_classes, num_classes)


def plot_confusion_matrix(matrix: torch.Tensor, class_names=None):
    """Draw a confusion matrix with counts in the cells; rows are true classes.

    >>> fig = plot_confusion_matrix(torch.tensor([[5, 1], [2, 7]]), ["cat", "dog"])
    >>> fig.axes[0].get_ylabel()
    'true class'
    """
    matrix = torch.as_tensor(matrix)
    n = matrix.shape[0]
    names = class_names or [str(i) for i in range(n)]
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
