"""A model leaves Python: exported programs and ONNX files that carry their preprocessing.

A checkpoint (:mod:`learntorch.checkpoints`) keeps a model inside Python: using it needs
this library, the model's class, and the normalisation it was trained with. An exported
model is a graph of tensor operations with its weights, which a runtime runs without any
of that:

- ``torch.export`` (a ``.pt2`` file): a zip of JSON (the graph) and raw tensor bytes, run
  by PyTorch (:mod:`learntorch.export.program`);
- ONNX (a ``.onnx`` file): a protobuf graph in an open standard, run by ONNX Runtime and
  many other runtimes (:mod:`learntorch.export.onnx_file`).

Preprocessing travels inside the graph. :class:`Deployable` takes raw 8-bit images of shape
``(N, 28, 28)`` and does the scaling, the normalisation and the softmax itself, so no caller
can forget them or use the wrong mean. What a graph cannot hold, the class names and a
description of the input, travels beside it as metadata: ``extra/learntorch.json`` inside
the ``.pt2`` zip, a ``learntorch`` metadata property in the ONNX file.

:func:`load_predictor` opens any of the three kinds (checkpoint, ``.pt2``, ``.onnx``) as one
callable, which is what ``learntorch predict`` uses. ONNX needs the ``deploy`` extra:
``pip install "learntorch[deploy]"``.
"""

from learntorch.export.deployable import Deployable, read_images
from learntorch.export.onnx_file import load_onnx, save_onnx
from learntorch.export.predictor import Predictor, file_kind, load_predictor
from learntorch.export.program import check_program_archive, export_program, load_program, save_program

__all__ = [
    "Deployable", "Predictor", "check_program_archive", "export_program", "file_kind", "load_onnx",
    "load_predictor",
    "load_program", "read_images", "save_onnx", "save_program",
]
