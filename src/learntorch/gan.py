"""Train a generative adversarial network (Goodfellow et al., 2014) on 28 x 28 grey images.

Two networks take turns on every batch:

1. the **discriminator** D is trained as a classifier: real images -> 1 (or 0.9 with label
   smoothing), generated images -> 0;
2. the **generator** G is trained to make D answer 1 for its images: the same loss with the
   labels flipped, its gradient flowing through D (which is not updated in this half).

:func:`train_step` is one such turn, :func:`train_gan` the whole run behind
``learntorch.zoo.fashion_gan()``: it keeps the images G makes from one fixed batch of latent
vectors after every epoch, so you can watch them form.
"""

from __future__ import annotations

import json
import os
import time

import torch
from torch import nn
from tqdm import tqdm

from learntorch.models import Discriminator, Generator

_bce = nn.BCEWithLogitsLoss()


def latent_batch(n: int, latent_size: int, generator: torch.Generator | None = None,
                 device=None) -> torch.Tensor:
    """``n`` latent vectors drawn uniformly from [-1, 1], shape ``(n, latent_size)``, on ``device``.

    Drawn on the CPU (where ``generator`` lives, so a seed gives the same vectors on every
    machine), then moved to ``device``.

    Examples:
        >>> z = latent_batch(1000, 100, torch.Generator().manual_seed(0))
        >>> z.shape, bool(z.min() >= -1 and z.max() <= 1)
        (torch.Size([1000, 100]), True)
    """
    return (torch.rand(n, latent_size, generator=generator) * 2 - 1).to(device or "cpu")


def real_loss(logits: torch.Tensor, smooth: float = 0.0) -> torch.Tensor:
    """Binary cross-entropy of ``logits`` against the label "real": 1, or ``1 - smooth``.

    Label smoothing (``smooth=0.1`` -> target 0.9) keeps the discriminator from becoming
    over-confident on real images, which would leave the generator little gradient.

    Examples:
        >>> logits = torch.tensor([10.0])                    # D is sure the image is real
        >>> round(real_loss(logits).item(), 4), round(real_loss(logits, smooth=0.1).item(), 2)
        (0.0, 1.0)
    """
    return _bce(logits, torch.full_like(logits, 1.0 - smooth))


def fake_loss(logits: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of ``logits`` against the label "generated" (0).

    Examples:
        >>> round(fake_loss(torch.tensor([0.0])).item(), 4)  # undecided: log 2
        0.6931
    """
    return _bce(logits, torch.zeros_like(logits))


def train_step(G: nn.Module, D: nn.Module, real: torch.Tensor, g_optimizer, d_optimizer,
               smooth: float = 0.1) -> tuple[float, float]:
    """One discriminator update, then one generator update, on a batch of ``real`` images in [-1, 1].

    Returns ``(d_loss, g_loss)`` as floats.

    Examples:
        >>> _ = torch.manual_seed(0)
        >>> G, D = Generator(), Discriminator()
        >>> opts = [torch.optim.Adam(m.parameters(), 2e-3) for m in (G, D)]
        >>> d_loss, g_loss = train_step(G, D, torch.rand(8, 1, 28, 28) * 2 - 1, *opts)
        >>> d_loss > 0 and g_loss > 0
        True
    """
    n, latent_size = len(real), G.config["latent_size"]
    # 1. The discriminator: real -> 1 - smooth, generated -> 0. G is only used, not trained,
    #    so its images are made without a graph.
    d_optimizer.zero_grad()
    with torch.no_grad():
        fake = G(latent_batch(n, latent_size, device=real.device))
    d_loss = real_loss(D(real), smooth) + fake_loss(D(fake))
    d_loss.backward()
    d_optimizer.step()
    # 2. The generator: new images, scored by D against the label "real" (flipped labels).
    #    The gradient flows back through D into G; only G's optimizer steps.
    g_optimizer.zero_grad()
    g_loss = real_loss(D(G(latent_batch(n, latent_size, device=real.device))))
    g_loss.backward()
    g_optimizer.step()
    return d_loss.item(), g_loss.item()


def train_gan(recipe: dict, images: torch.Tensor, progress: bool = False):
    """Train a :class:`~learntorch.models.Generator` against a :class:`~learntorch.models.Discriminator`.

    Args:
        recipe: ``latent_size``, ``g_hidden``, ``d_hidden``, ``dropout``, ``epochs``,
            ``batch_size``, ``lr``, ``betas``, ``smooth``, ``samples``, ``seed`` (see
            ``learntorch.zoo.FASHION_GAN_RECIPE``).
        images: the real images, ``(N, 1, S, S)`` scaled to [-1, 1].
        progress: show a progress bar.

    Returns:
        tuple: ``(generator, record)``, the generator in evaluation mode and a dict of plain
            values: ``d_loss`` and ``g_loss`` (means per epoch), ``samples`` (a tensor
            ``(epochs + 1, samples, 1, S, S)``: what G made from the fixed latent batch
            ``fixed_latent`` before training and after each epoch), the discriminator's
            ``discriminator_config`` and ``discriminator_state``, and the seconds it took.

    Examples:
        >>> tiny = {"latent_size": 8, "g_hidden": [16], "d_hidden": [16], "dropout": 0.3, "epochs": 2,
        ...         "batch_size": 32, "lr": 2e-3, "betas": [0.5, 0.999], "smooth": 0.1, "samples": 4, "seed": 0}
        >>> G, record = train_gan(tiny, torch.rand(64, 1, 28, 28) * 2 - 1)
        >>> record["samples"].shape, len(record["d_loss"])
        (torch.Size([3, 4, 1, 28, 28]), 2)
    """
    if images.dim() != 4 or images.shape[1] != 1 or images.min() < -1 or images.max() > 1:
        raise ValueError(f"train_gan expects grey images (N, 1, S, S) scaled to [-1, 1], got shape "
                         f"{tuple(images.shape)} with values in [{images.min():.2f}, {images.max():.2f}]")
    torch.manual_seed(recipe["seed"])
    size = images.shape[-1]
    G = Generator(recipe["latent_size"], recipe["g_hidden"], size, recipe["dropout"])
    D = Discriminator(size, recipe["d_hidden"], recipe["dropout"])
    g_opt = torch.optim.Adam(G.parameters(), recipe["lr"], betas=tuple(recipe["betas"]))
    d_opt = torch.optim.Adam(D.parameters(), recipe["lr"], betas=tuple(recipe["betas"]))
    fixed = latent_batch(recipe["samples"], recipe["latent_size"],
                         torch.Generator().manual_seed(recipe["seed"] + 1))
    samples, history = [_sample(G, fixed)], {"d_loss": [], "g_loss": []}
    order = torch.Generator().manual_seed(recipe["seed"])
    batch, wall, cpu = recipe["batch_size"], time.perf_counter(), time.process_time()
    steps = len(images) // batch                              # full batches only
    with tqdm(total=recipe["epochs"] * steps, disable=not progress, unit="batch") as bar:
        for _ in range(recipe["epochs"]):
            G.train()
            D.train()
            perm, d_sum, g_sum = torch.randperm(len(images), generator=order), 0.0, 0.0
            for i in range(steps):
                d_loss, g_loss = train_step(G, D, images[perm[i * batch:(i + 1) * batch]], g_opt, d_opt,
                                            recipe["smooth"])
                d_sum, g_sum = d_sum + d_loss, g_sum + g_loss
                bar.update(1)
            history["d_loss"].append(d_sum / steps)
            history["g_loss"].append(g_sum / steps)
            samples.append(_sample(G, fixed))
    record = {
        **history,
        "samples": torch.stack(samples),
        "fixed_latent": fixed,
        "discriminator_config": D.config,
        "discriminator_state": {k: v.detach().clone() for k, v in D.state_dict().items()},
        "train_seconds": time.perf_counter() - wall,
        "cpu_seconds": time.process_time() - cpu,
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "threads": torch.get_num_threads(),
        "train_size": len(images),
        "recipe": json.dumps(recipe, sort_keys=True),
    }
    return G.eval(), record


@torch.no_grad()
def _sample(G: nn.Module, z: torch.Tensor) -> torch.Tensor:
    """G's images for ``z`` in evaluation mode (no dropout), leaving G's mode as it was."""
    was_training = G.training
    images = G.eval()(z)
    G.train(was_training)
    return images
