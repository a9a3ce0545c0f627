"""Save and load ``torch.export`` programs, without letting the file run code.

``torch.export.export`` traces a model into an ``ExportedProgram``: a graph of ATen
operators (PyTorch's tensor operations) plus the weights, with the batch size left free.
``torch.export.save`` writes it as a ``.pt2`` zip: JSON for the graph, raw bytes for each
weight. Reading it back is not always as harmless as that sounds. On torch 2.14
``torch.export.load`` (whose docstring says "Never load data from an untrusted source"):

- unpickles some members: weights or constants marked ``use_pickle``, custom and opaque
  objects, and the saved example inputs, which it retries with ``weights_only=False`` if
  the safe load fails;
- turns the graph's shape expressions into sympy objects with ``sympy.sympify``, which
  evaluates strings as Python;
- looks each node's target up by name under ``torch``, ``operator`` or ``math``, so a node
  may name any callable found there (``torch.os.system`` resolves), not only tensor operators;
- the module ``ExportedProgram.module()`` returns runs the program's ``guards_code``
  strings as Python on every call.

:func:`check_program_archive` refuses a file that uses any of those, before PyTorch reads
it; :func:`load_program` reads only files that pass. Files written by :func:`save_program`
always pass.
"""

from __future__ import annotations

import copy
import io
import json
import re
import warnings
import zipfile
import zlib
from pathlib import Path

import torch

from learntorch.data.sources import write_atomic
from learntorch.export.deployable import FORMAT, Deployable

METADATA_FILE = "learntorch.json"  # stored as extra/learntorch.json inside the archive
# What a node of the graph may call: tensor operators, and picking one output of several.
SAFE_TARGETS = re.compile(r"torch\.ops\.(aten|prims)\.\w+\.\w+|_operator\.getitem")
# Shape expressions: symbols such as s34, numbers, operators and these sympy names only.
SYMPY_NAMES = {
    "Symbol", "Integer", "Rational", "Float", "integer", "positive", "nonnegative", "real",
    "finite", "True", "False", "Add", "Mul", "Pow", "Max", "Min", "Abs", "Eq", "Ne", "Lt", "Le",
    "Gt", "Ge", "And", "Or", "Not", "Mod", "PythonMod", "FloorDiv", "CleanDiv", "CeilDiv",
    "FloorToInt", "CeilToInt", "TruncToInt", "IntTrueDiv", "FloatTrueDiv", "ToFloat", "oo",
}
EXPRESSION = re.compile(r"[\w\s'(),=+\-*/<>!%.]*")


def _example(deployable: Deployable) -> torch.Tensor:
    # Batch 2, not 1: PyTorch treats a size-1 dimension as fixed, 2 lets it stay free.
    return torch.zeros(2, deployable.image_size, deployable.image_size, dtype=torch.uint8)


def export_program(deployable: Deployable) -> torch.export.ExportedProgram:
    """Trace ``deployable`` into an ``ExportedProgram`` that takes any batch size.

    Examples:
        >>> from learntorch.models import MLP
        >>> program = export_program(Deployable(MLP(784, (8,), 2), 0.5, 0.25, ["no", "yes"]))
        >>> program.module()(torch.zeros(5, 28, 28, dtype=torch.uint8)).shape
        torch.Size([5, 2])
    """
    batch = torch.export.Dim("batch", min=1)
    on_cpu = copy.deepcopy(deployable).cpu().eval()  # a copy: the caller's model stays where it is
    return torch.export.export(on_cpu, (_example(deployable),), dynamic_shapes={"images": {0: batch}})


def save_program(deployable: Deployable, path) -> Path:
    """Export ``deployable`` with ``torch.export`` and write it to ``path`` (a ``.pt2`` file).

    The class names and input description go into the archive as ``extra/learntorch.json``.
    The write is atomic: the file appears whole or not at all.

    Examples:
        >>> import tempfile
        >>> from learntorch.models import MLP
        >>> deployable = Deployable(MLP(784, (8,), 2), 0.5, 0.25, ["no", "yes"])
        >>> path = save_program(deployable, Path(tempfile.mkdtemp()) / "model.pt2")
        >>> program, metadata = load_program(path)
        >>> metadata["classes"]
        ['no', 'yes']
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot save {path}: folder {path.parent} does not exist")
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # The CNN keeps its conv weights channels_last (not one plain block of memory); for
        # such weights torch warns that they are saved as they are, which is "an issue when
        # your weights are not on CPU". Ours always are: export_program works on a CPU copy.
        warnings.filterwarnings("ignore", message="No complete tensor found in the group")
        torch.export.save(export_program(deployable), buffer,
                          extra_files={METADATA_FILE: json.dumps(deployable.metadata())})
    return write_atomic(path, buffer.getvalue())


def _safe_expression(text: str) -> bool:
    """True when a shape expression holds only symbols, numbers and sympy's names."""
    if not EXPRESSION.fullmatch(text) or "__" in text:
        return False
    bare = re.sub(r"'[a-z]+\d+'", "", text)  # quoted symbol names such as 's34'
    if "'" in bare:
        return False
    names = set(re.findall(r"[A-Za-z_]\w*", bare))
    return all(name in SYMPY_NAMES or re.fullmatch(r"[a-z]+\d+", name) for name in names)


def _safe_guard(text: str) -> bool:
    """True when a guard only compares input sizes, e.g. ``L['x'].size()[0] == L['y'].size()[0]``."""
    if "__" in text:
        return False
    bare = re.sub(r"L\['\w+'\]", "L", text)  # the inputs, by name
    if not re.fullmatch(r"[\w\s\[\]().<>=!+\-*/%]*", bare):
        return False
    return set(re.findall(r"[A-Za-z_]\w*", bare)) <= {"L", "size", "stride", "storage_offset", "dim",
                                                        "and", "or", "not", "True", "False"}


def _graph_problems(node) -> list[str]:
    """What in a graph's JSON could run code: node targets and shape expressions."""
    problems = []
    if isinstance(node, dict):
        for item in node.get("nodes", []) if isinstance(node.get("nodes"), list) else []:
            target = item.get("target") if isinstance(item, dict) else None
            if not isinstance(target, str) or not SAFE_TARGETS.fullmatch(target):
                problems.append(f"a node calls {str(target)[:60]!r}, which is not a tensor operator")
        if isinstance(node.get("expr_str"), str) and not _safe_expression(node["expr_str"]):
            problems.append(f"a shape expression {node['expr_str'][:60]!r} is not plain arithmetic")
        children = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return problems
    for child in children:
        problems += _graph_problems(child)
    return problems


def check_program_archive(data: bytes, name: str = "the file") -> None:
    """Raise ``ValueError`` unless ``data`` is a ``.pt2`` archive PyTorch can read without running code.

    Checks, before ``torch.export.load`` sees the bytes: it is a ``torch.export`` archive;
    no member is a pickle other than the example inputs, and those load with
    ``weights_only=True``; no weight or constant asks to be unpickled; every node calls an
    ATen or prims operator; every shape expression is plain arithmetic on symbols; every
    guard (Python the loaded module runs on each call) only compares input sizes. ``name``
    is used in the error message.

    Examples:
        >>> check_program_archive(b"not a zip", "model.pt2")
        Traceback (most recent call last):
        ValueError: model.pt2 is not an exported program: it is not a zip archive
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ValueError(f"{name} is not an exported program: it is not a zip archive") from None
    names = archive.namelist()
    folders = {member.split("/", 1)[0] for member in names}
    if len(folders) != 1 or len(set(names)) != len(names) or not all("/" in member for member in names):
        raise ValueError(f"{name} is not a torch.export program (.pt2): a .pt2 archive holds "
                         "one folder, each member once")
    members = {member.split("/", 1)[1]: member for member in names}  # path inside that folder -> name

    def refuse(reason: str):
        raise ValueError(f"{name} was refused: {reason}. A program written by torch.export.save "
                         "for a plain model has none of this; only load files from sources you trust")

    try:
        if "archive_format" not in members or archive.read(members["archive_format"]).strip() != b"pt2":
            raise ValueError(f"{name} is a zip archive but not a torch.export program (.pt2); "
                             "write one with learntorch.export.save_program or torch.export.save")
        _check_members(archive, members, refuse)
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError, TypeError, zipfile.BadZipFile,
            zlib.error, EOFError) as err:  # a member that is not what its name says, or cut short
        raise ValueError(f"{name} is a damaged .pt2 archive: {type(err).__name__}: {str(err)[:100]}") from None


def _check_members(archive: zipfile.ZipFile, members: dict, refuse) -> None:
    """Call ``refuse(reason)`` on the first member of ``archive`` that could run code."""
    for inner, member in members.items():
        if inner.startswith("data/sample_inputs/"):
            try:
                torch.load(io.BytesIO(archive.read(member)), weights_only=True)
            except Exception:
                refuse(f"its example inputs ({inner}) are a pickle that weights_only=True will not load")
        elif inner.endswith((".pt", ".pkl", ".pickle")) or inner.startswith(("data/aotinductor/", "data/executorch/")):
            refuse(f"it holds {inner}, a member torch.export.load would unpickle or run")
        elif inner.endswith(("_weights_config.json", "_constants_config.json")):
            for key, entry in json.loads(archive.read(member)).get("config", {}).items():
                if entry.get("use_pickle") or not entry.get("path_name", "").startswith(("weight_", "tensor_")):
                    refuse(f"its tensor {key!r} is stored as a pickle or a Python object")
        elif inner.startswith("models/") and inner.endswith(".json"):
            program = json.loads(archive.read(member))
            unsafe = [guard for guard in program.get("guards_code") or [] if not _safe_guard(str(guard))]
            if unsafe:
                refuse(f"its guard code {str(unsafe[0])[:60]!r} is Python that the loaded module would "
                       "run, and it does more than compare input sizes")
            range_keys = list(program.get("range_constraints", {}))
            problems = _graph_problems(program) + [
                f"a symbol is named {key[:40]!r}" for key in range_keys if not _safe_expression(key)]
            if problems:
                refuse(problems[0])


def load_program(path) -> tuple[torch.export.ExportedProgram, dict]:
    """The ``ExportedProgram`` saved at ``path`` and its learntorch metadata, after the safety checks.

    Call ``program.module()`` once to get a callable module.

    Examples:
        >>> import tempfile
        >>> broken = Path(tempfile.mkdtemp()) / "broken.pt2"
        >>> _ = broken.write_bytes(b"PK\\x03\\x04 cut short")
        >>> load_program(broken)
        Traceback (most recent call last):
        ValueError: ...broken.pt2 is not an exported program: it is not a zip archive
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no exported program at {path}: the file does not exist")
    data = path.read_bytes()  # read once: what was checked is what gets loaded
    check_program_archive(data, str(path))
    extra = {METADATA_FILE: ""}
    try:
        program = torch.export.load(io.BytesIO(data), extra_files=extra)
    except Exception as err:  # a damaged graph or weights; torch raises many kinds
        raise ValueError(f"{path} is a damaged exported program: torch.export.load failed "
                         f"({type(err).__name__}: {str(err)[:120]})") from None
    try:
        metadata = json.loads(extra[METADATA_FILE] or "null")
    except json.JSONDecodeError:
        metadata = None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise ValueError(f"{path} is an exported program but not one learntorch wrote: it has no "
                         f"{METADATA_FILE} with the class names; export it with "
                         "learntorch.export.save_program")
    return program, metadata
