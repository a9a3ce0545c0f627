"""Save a model as ONNX and run it with ONNX Runtime.

ONNX is an open format for computation graphs: a protobuf message listing operators
(``Gemm``, ``Conv``, ``Softmax``, ...), their inputs and outputs, and the weights. Protobuf is
data, not code, so parsing a file cannot run anything; ONNX Runtime then executes only its
own operator implementations. ``torch.onnx.export(..., dynamo=True)`` builds the graph from
a ``torch.export`` trace of the model.

``onnx``, ``onnxscript`` (which the exporter needs) and ``onnxruntime`` come with the
``deploy`` extra: ``pip install "learntorch[deploy]"``.
"""

from __future__ import annotations

import copy
import importlib
import json
from pathlib import Path

import torch

from learntorch.data.sources import write_atomic
from learntorch.export.deployable import FORMAT, Deployable

METADATA_KEY = "learntorch"  # the ONNX metadata property holding the class names


def _require(module: str):
    """Import an optional package of the ``deploy`` extra, or say how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"{module} is not installed; ONNX export and ONNX Runtime need the deploy "
                          'extra: pip install "learntorch[deploy]"') from None


def save_onnx(deployable: Deployable, path) -> Path:
    """Export ``deployable`` to ONNX and write it to ``path`` (a ``.onnx`` file), atomically.

    The batch dimension stays free (named ``batch``); the class names and input description
    go into the file's metadata under ``learntorch``.

    Examples:
        >>> import tempfile
        >>> from learntorch.models import MLP
        >>> deployable = Deployable(MLP(784, (8,), 2), 0.5, 0.25, ["no", "yes"])
        >>> path = save_onnx(deployable, Path(tempfile.mkdtemp()) / "model.onnx")
        >>> session, metadata = load_onnx(path)
        >>> [(i.name, i.shape, i.type) for i in session.get_inputs()]
        [('images', ['batch', 28, 28], 'tensor(uint8)')]
    """
    _require("onnxscript")  # torch.onnx's exporter imports it; fail with the install line instead
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot save {path}: folder {path.parent} does not exist")
    on_cpu = copy.deepcopy(deployable).cpu().eval()  # a copy: the caller's model stays where it is
    example = torch.zeros(2, deployable.image_size, deployable.image_size, dtype=torch.uint8)
    program = torch.onnx.export(
        on_cpu, (example,), dynamo=True, verbose=False,
        input_names=["images"], output_names=["probabilities"],
        dynamic_shapes={"images": {0: torch.export.Dim("batch", min=1)}})
    model = program.model_proto
    model.metadata_props.add(key=METADATA_KEY, value=json.dumps(deployable.metadata()))
    return write_atomic(path, model.SerializeToString())


def load_onnx(path):
    """An ONNX Runtime session for the model at ``path`` and its learntorch metadata.

    The file is checked first: it must parse as an ONNX model, pass ``onnx.checker``,
    keep its weights inside itself (no external data files), and carry learntorch's
    metadata. The session runs on the CPU.

    Examples:
        >>> import tempfile
        >>> junk = Path(tempfile.mkdtemp()) / "junk.onnx"
        >>> _ = junk.write_bytes(b"\\x00\\x01 not a model")
        >>> load_onnx(junk)
        Traceback (most recent call last):
        ValueError: ...junk.onnx is not a valid ONNX model: ...
    """
    onnx = _require("onnx")
    ort = _require("onnxruntime")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no ONNX model at {path}: the file does not exist")
    data = path.read_bytes()
    try:
        model = onnx.load_model_from_string(data)
    except Exception as err:  # protobuf's DecodeError
        raise ValueError(f"{path} is not a valid ONNX model: protobuf cannot parse it ({err})") from None
    if any(tensor.data_location == onnx.TensorProto.EXTERNAL for tensor in model.graph.initializer):
        raise ValueError(f"{path} keeps its weights in separate files (ONNX external data); "
                         "learntorch loads self-contained ONNX files only")
    try:
        onnx.checker.check_model(model)
    except Exception as err:  # onnx.checker.ValidationError
        reason = str(err).strip().splitlines()[0][:120] if str(err).strip() else type(err).__name__
        raise ValueError(f"{path} is not a valid ONNX model: {reason}") from None
    props = {prop.key: prop.value for prop in model.metadata_props}
    try:
        metadata = json.loads(props.get(METADATA_KEY, "null"))
    except json.JSONDecodeError:
        metadata = None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise ValueError(f"{path} is an ONNX model but not one learntorch wrote: it has no "
                         f"{METADATA_KEY!r} metadata with the class names; export it with "
                         "learntorch.export.save_onnx")
    try:
        session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    except Exception as err:  # ONNX Runtime's Fail / InvalidGraph / NotImplemented
        raise ValueError(f"{path}: ONNX Runtime cannot run this model ({str(err)[:160]})") from None
    return session, metadata
