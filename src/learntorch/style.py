"""Neural style transfer (Gatys, Ecker and Bethge, 2016): optimise an image, not a network.

A frozen VGG16 (:func:`learntorch.pretrained.vgg16_features`) describes an image twice:

- its **content** is the feature map of one deep layer (``conv4_2``): what is where;
- its **style** is, at several layers, the :func:`gram_matrix` of the feature maps: which
  features occur together, averaged over all positions, so *where* is forgotten.

:func:`style_transfer` starts from the content photo and changes its pixels by gradient
descent until its content features stay close to the photo's and its Gram matrices come
close to the style image's. :func:`image_tensor` turns a photo of any mode (grey, RGB, RGBA)
into the ``(1, 3, H, W)`` tensor in [0, 1] the rest expects.
"""

from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F

from learntorch.pretrained import VGG16

# Layer -> weight of its style loss. Earlier layers see small patches (colours, fine texture),
# later ones larger structures; the weights are the course's.
STYLE_LAYERS = {"conv1_1": 1.0, "conv2_1": 0.75, "conv3_1": 0.2, "conv4_1": 0.2, "conv5_1": 0.2}
CONTENT_LAYER = "conv4_2"
MIN_SIDE = 16  # conv5_1 comes after four 2x2 poolings: 16 pixels -> 1


def image_tensor(picture, max_size: int | None = None) -> torch.Tensor:
    """A photo as a ``(1, 3, H, W)`` float tensor in [0, 1], its longer side at most ``max_size``.

    Accepts a PIL image, a NumPy array ``(H, W)``, ``(H, W, 1|2|3|4)`` (uint8 0-255, bool, or
    float in [0, 1]) or a tensor ``(3, H, W)`` / ``(1, 3, H, W)`` in [0, 1]. Grey images get
    three equal channels; an alpha channel (RGBA, grey + alpha) is composited onto white, so
    transparent areas become white instead of whatever colour they happen to store. Images
    are shrunk (never enlarged) with antialiasing, keeping their aspect ratio.

    Examples:
        >>> grey = np.zeros((40, 60), np.uint8)
        >>> image_tensor(grey, max_size=30).shape
        torch.Size([1, 3, 20, 30])
        >>> rgba = np.zeros((16, 16, 4), np.uint8)        # black but fully transparent
        >>> image_tensor(rgba).unique().tolist()          # composited onto white
        [1.0]
    """
    x = _as_float_hwc(picture)                             # (H, W, C) in [0, 1]
    if x.shape[-1] in (2, 4):                              # grey + alpha, RGBA
        colour, alpha = x[..., :-1], x[..., -1:]
        x = colour * alpha + (1 - alpha)                   # over a white background
    if x.shape[-1] == 1:
        x = x.expand(-1, -1, 3)
    x = x.permute(2, 0, 1).unsqueeze(0).contiguous()       # (1, 3, H, W)
    h, w = x.shape[-2:]
    if max_size is not None:
        if not isinstance(max_size, int) or max_size < MIN_SIDE:
            raise ValueError(f"max_size must be an integer of at least {MIN_SIDE} pixels, got {max_size!r}")
        scale = max_size / max(h, w)
        if scale < 1:
            size = (max(1, round(h * scale)), max(1, round(w * scale)))
            x = F.interpolate(x, size=size, mode="bilinear", antialias=True, align_corners=False).clamp(0, 1)
    if min(x.shape[-2:]) < MIN_SIDE:
        raise ValueError(f"the image is {x.shape[-2]} x {x.shape[-1]} pixels; style transfer needs at "
                         f"least {MIN_SIDE} on each side (VGG16 halves it four times)")
    return x


def _as_float_hwc(picture) -> torch.Tensor:
    """Any accepted picture -> float32 ``(H, W, C)`` in [0, 1] with C in 1..4."""
    if hasattr(picture, "getbands"):                       # a PIL image, any mode
        mode = "RGBA" if "A" in picture.getbands() or "transparency" in picture.info else "RGB"
        picture = np.asarray(picture.convert(mode))
    if isinstance(picture, torch.Tensor):
        x = picture.detach().float().cpu()
        if x.dim() == 4 and x.shape[0] == 1:
            x = x[0]
        if x.dim() != 3 or x.shape[0] not in (1, 3):
            raise ValueError(f"an image tensor must be (3, H, W) or (1, 3, H, W), got {tuple(picture.shape)}")
        x = x.permute(1, 2, 0)
    elif isinstance(picture, np.ndarray):
        if picture.dtype == np.uint8:
            x = torch.from_numpy(picture.astype(np.float32) / 255)
        elif picture.dtype == bool or np.issubdtype(picture.dtype, np.floating):
            x = torch.from_numpy(picture.astype(np.float32))
        else:
            raise ValueError(f"an image array must be uint8 (0-255), bool or float (0-1), got {picture.dtype}")
        if x.dim() == 2:
            x = x.unsqueeze(-1)
        if x.dim() != 3 or x.shape[-1] not in (1, 2, 3, 4):
            raise ValueError(f"an image array must be (H, W) or (H, W, C) with 1 to 4 channels, "
                             f"got shape {picture.shape}")
    else:
        raise ValueError(f"expected a PIL image, a NumPy array or a tensor, got {type(picture).__name__}")
    if x.numel() == 0 or not torch.isfinite(x).all() or x.min() < 0 or x.max() > 1:
        raise ValueError("image values must be finite and in [0, 1] (divide 0-255 floats by 255)")
    return x


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """Channel-by-channel products of feature maps, averaged over positions: ``(N, C, H, W) -> (N, C, C)``.

    Entry ``(i, j)`` is the mean over all positions of channel i times channel j: how much
    the two features occur together, wherever they occur. Dividing by ``H * W`` makes it
    independent of the image size, so a style image need not match the content's size.

    Examples:
        >>> f = torch.tensor([[[[1., 2.]], [[3., 4.]]]])     # N=1, C=2, H=1, W=2
        >>> gram_matrix(f)                                   # [[(1+4)/2, (3+8)/2], [.., (9+16)/2]]
        tensor([[[ 2.5000,  5.5000],
                 [ 5.5000, 12.5000]]])
    """
    if features.dim() != 4:
        raise ValueError(f"gram_matrix expects feature maps (N, C, H, W), got shape {tuple(features.shape)}")
    n, c, h, w = features.shape
    flat = features.reshape(n, c, h * w)                   # (N, C, positions)
    return flat @ flat.transpose(1, 2) / (h * w)           # (N, C, C)


def activations(vgg: VGG16, image: torch.Tensor, names) -> dict[str, torch.Tensor]:
    """The ReLU outputs of the named VGG16 convolutions for an RGB ``image`` in [0, 1].

    Runs the network only as far as the deepest layer asked for.

    Examples:
        >>> from learntorch.pretrained import vgg16_features
        >>> vgg = vgg16_features()
        >>> acts = activations(vgg, torch.rand(1, 3, 32, 32), ["conv1_1", "conv2_1"])
        >>> {name: tuple(a.shape) for name, a in acts.items()}
        {'conv1_1': (1, 64, 32, 32), 'conv2_1': (1, 128, 16, 16)}
    """
    wanted = {vgg.layers[name] + 1: name for name in names}   # +1: the ReLU after the conv
    out, x = {}, vgg.preprocess(image)
    for index, layer in enumerate(vgg.features[:max(wanted) + 1]):
        x = layer(x)
        if index in wanted:
            out[wanted[index]] = x
    return out


def style_transfer(content: torch.Tensor, style: torch.Tensor, vgg: VGG16, steps: int = 100,
                   style_weight: float = 1e-3, content_weight: float = 1.0, optimizer: str = "lbfgs",
                   lr: float | None = None, style_layers=None, content_layer: str = CONTENT_LAYER,
                   snapshot_every: int | None = None) -> dict:
    """Optimise a copy of ``content`` so it keeps its content and takes the style of ``style``.

    Args:
        content: ``(1, 3, H, W)`` in [0, 1]; the result has its size (and ``vgg``'s device).
        style: ``(1, 3, H', W')`` in [0, 1], any size (its Gram matrices are averages).
        vgg: what :func:`learntorch.pretrained.vgg16_features` returns.
        steps: loss evaluations (forward and backward passes) to spend.
        style_weight: beta, the weight of the style loss (the content loss has ``content_weight``).
        optimizer: ``"lbfgs"`` (few steps, each a line search) or ``"adam"``.
        lr: the optimizer's learning rate; default 1 for L-BFGS, 0.02 for Adam.
        style_layers: ``{layer: weight}``; default :data:`STYLE_LAYERS`.
        content_layer: the layer whose features are the content.
        snapshot_every: keep a copy of the image every this many steps.

    Returns:
        dict: ``image`` (the result, ``(1, 3, H, W)`` in [0, 1]), ``content_loss`` and
            ``style_loss`` (lists, one value per step), ``snapshots`` (``{step: image}``),
            ``seconds`` (float) and ``steps`` (the number of evaluations run).

    Examples:
        >>> from learntorch.pretrained import vgg16_features
        >>> _ = torch.manual_seed(0)
        >>> content, style = torch.rand(1, 3, 32, 48), torch.rand(1, 3, 40, 40)
        >>> out = style_transfer(content, style, vgg16_features(), steps=5)
        >>> out["image"].shape, out["style_loss"][-1] < out["style_loss"][0]
        (torch.Size([1, 3, 32, 48]), True)
    """
    style_layers = dict(STYLE_LAYERS if style_layers is None else style_layers)
    _check_inputs(content, style, steps, optimizer)
    device = next(vgg.features.parameters()).device        # work where the network is (CPU, CUDA, MPS)
    content, style = content.to(device), style.to(device)
    with torch.no_grad():                                  # the targets never change
        target_content = activations(vgg, content, [content_layer])[content_layer]
        target_grams = {n: gram_matrix(a) for n, a in activations(vgg, style, list(style_layers)).items()}
    image = content.detach().clone().requires_grad_(True)  # start from the photo itself
    history = {"content_loss": [], "style_loss": [], "snapshots": {}}
    if optimizer == "lbfgs":
        opt = torch.optim.LBFGS([image], lr=lr or 1.0, max_iter=steps, max_eval=steps,
                                history_size=50, tolerance_grad=0, tolerance_change=0)
    else:
        opt = torch.optim.Adam([image], lr=lr or 0.02)

    def closure():
        with torch.no_grad():
            image.clamp_(0, 1)                             # stay a valid picture
        opt.zero_grad()
        acts = activations(vgg, image, [content_layer, *style_layers])
        content_loss = F.mse_loss(acts[content_layer], target_content)
        style_loss = sum(w * F.mse_loss(gram_matrix(acts[n]), target_grams[n]) for n, w in style_layers.items())
        loss = content_weight * content_loss + style_weight * style_loss
        loss.backward()
        history["content_loss"].append(content_loss.item())
        history["style_loss"].append(style_loss.item())
        step = len(history["style_loss"])
        if snapshot_every and step % snapshot_every == 0:
            history["snapshots"][step] = image.detach().clamp(0, 1).clone()
        return loss

    start = time.perf_counter()
    if optimizer == "lbfgs":
        opt.step(closure)                                  # runs up to `steps` evaluations itself
    else:
        for _ in range(steps):
            opt.step(closure)
    seconds = time.perf_counter() - start
    with torch.no_grad():
        image.clamp_(0, 1)
    return {"image": image.detach(), **history, "seconds": seconds, "steps": len(history["style_loss"])}


def _check_inputs(content, style, steps, optimizer) -> None:
    for name, x in (("content", content), ("style", style)):
        if not isinstance(x, torch.Tensor) or x.dim() != 4 or x.shape[:2] != (1, 3):
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"{name} must be one RGB image of shape (1, 3, H, W), got {shape}; "
                             f"image_tensor() converts photos of any mode")
        if min(x.shape[-2:]) < MIN_SIDE:
            raise ValueError(f"{name} is {x.shape[-2]} x {x.shape[-1]} pixels; it needs at least {MIN_SIDE} a side")
        if not torch.isfinite(x).all() or x.min() < 0 or x.max() > 1:
            raise ValueError(f"{name} values must be in [0, 1]")
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    if optimizer not in ("lbfgs", "adam"):
        raise ValueError(f"optimizer must be 'lbfgs' or 'adam', got {optimizer!r}")
