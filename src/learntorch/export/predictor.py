"""One callable for any saved model: a checkpoint, a ``.pt2`` program or an ONNX file.

``learntorch predict`` takes whichever kind of file it is given; :func:`load_predictor`
recognises the kind from the file's first bytes and contents (not its name), loads it with
that kind's safe loader, and returns a :class:`Predictor`: ``uint8`` images in, class
probabilities out, the class names attached.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from learntorch.export.deployable import Deployable
from learntorch.export.onnx_file import load_onnx
from learntorch.export.program import load_program

KINDS = ("checkpoint", "torch-export", "onnx")


@dataclass
class Predictor:
    """A loaded model of any kind: call it on ``uint8`` images ``(N, S, S)`` for probabilities ``(N, C)``.

    Examples:
        >>> from learntorch.models import MLP
        >>> deployable = Deployable(MLP(784, (8,), 2), 0.5, 0.25, ["no", "yes"])
        >>> predictor = Predictor("checkpoint", deployable, ["no", "yes"], 28)
        >>> predictor(torch.zeros(3, 28, 28, dtype=torch.uint8)).shape
        torch.Size([3, 2])
    """

    kind: str                                   # one of KINDS
    run: Callable[[torch.Tensor], torch.Tensor]  # (N, S, S) uint8 -> (N, C) probabilities
    classes: list[str]
    image_size: int

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        side = self.image_size
        if images.dtype != torch.uint8 or images.dim() != 3 or tuple(images.shape[1:]) != (side, side):
            raise ValueError(f"the model takes uint8 images of shape (N, {side}, {side}), "
                             f"got {images.dtype} of shape {tuple(images.shape)}")
        with torch.no_grad():
            return self.run(images)


def file_kind(path) -> str:
    """Which kind of saved model ``path`` holds: ``"checkpoint"``, ``"torch-export"`` or ``"onnx"``.

    Both ``torch.save`` and ``torch.export.save`` write zip archives: a checkpoint holds a
    ``data.pkl``, an exported program an ``archive_format`` member. Anything else is taken
    to be ONNX, whose loader then checks it.

    Examples:
        >>> import tempfile
        >>> from learntorch import checkpoints
        >>> from learntorch.models import MLP
        >>> file_kind(checkpoints.save(MLP(4, (3,), 2), Path(tempfile.mkdtemp()) / "m.pt"))
        'checkpoint'
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model at {path}: the file does not exist")
    if not zipfile.is_zipfile(path):
        return "onnx"
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile as err:
        raise ValueError(f"{path} is a damaged zip archive, not a readable model ({err})") from None
    if any(name.endswith("/archive_format") for name in names):
        return "torch-export"
    if any(name.endswith("/data.pkl") for name in names):
        return "checkpoint"
    raise ValueError(f"{path} is a zip archive but neither a learntorch checkpoint nor an "
                     "exported program")


def _onnx_runner(session) -> Callable[[torch.Tensor], torch.Tensor]:
    name = session.get_inputs()[0].name

    def run(images: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(session.run(None, {name: images.numpy()})[0])
    return run


def load_predictor(path) -> Predictor:
    """Load the model at ``path``, of any of the three kinds, as a :class:`Predictor`.

    Examples:
        >>> import tempfile
        >>> from learntorch import checkpoints
        >>> from learntorch.models import MLP
        >>> path = checkpoints.save(MLP(784, (8,), 10), Path(tempfile.mkdtemp()) / "m.pt")
        >>> predictor = load_predictor(path)
        >>> predictor.kind, predictor.classes[0], predictor(torch.zeros(1, 28, 28, dtype=torch.uint8)).shape
        ('checkpoint', 'T-shirt/top', torch.Size([1, 10]))
    """
    kind = file_kind(path)
    if kind == "checkpoint":
        deployable = Deployable.from_checkpoint(path)
        return Predictor(kind, deployable, deployable.classes, deployable.image_size)
    if kind == "torch-export":
        program, metadata = load_program(path)
        run = program.module()
    else:
        session, metadata = load_onnx(path)
        run = _onnx_runner(session)
    return Predictor(kind, run, metadata["classes"], metadata["input"]["shape"][1])
