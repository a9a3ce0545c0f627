"""learntorch.export: exported programs and ONNX files give the eager model's answers, and
files that are broken, foreign or booby-trapped are refused with a clear message."""

import io
import json
import zipfile

import pytest
import torch
from PIL import Image

from learntorch import checkpoints
from learntorch.export import (
    Deployable, check_program_archive, file_kind, load_onnx, load_predictor, load_program,
    read_images, save_onnx, save_program,
)
from learntorch.models import CNN, MLP

CLASSES = [f"class {i}" for i in range(10)]


@pytest.fixture(scope="module")
def deployable():
    torch.manual_seed(0)
    return Deployable(CNN(1, (4, 8), 28, hidden=16, out_features=10), 0.3, 0.35, CLASSES)


@pytest.fixture(scope="module")
def images():
    return torch.randint(0, 256, (7, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))


@pytest.fixture(scope="module")
def program_file(deployable, tmp_path_factory):
    return save_program(deployable, tmp_path_factory.mktemp("program") / "model.pt2")


@pytest.fixture(scope="module")
def onnx_file(deployable, tmp_path_factory):
    return save_onnx(deployable, tmp_path_factory.mktemp("onnx") / "model.onnx")


def test_deployable_does_the_preprocessing_the_model_was_trained_with(deployable, images):
    by_hand = torch.softmax(deployable.model(((images.float() / 255 - 0.3) / 0.35).unsqueeze(1)), dim=1)
    assert torch.allclose(deployable(images), by_hand)


def test_an_exported_program_gives_the_eager_answers_for_any_batch_size(deployable, program_file, images):
    program, metadata = load_program(program_file)
    module = program.module()
    for batch in (images[:1], images):
        assert torch.allclose(module(batch), deployable(batch), atol=1e-6)
    assert metadata["classes"] == CLASSES and metadata["input"]["dtype"] == "uint8"


def test_an_onnx_file_gives_the_eager_answers_for_any_batch_size(deployable, onnx_file, images):
    session, metadata = load_onnx(onnx_file)
    for batch in (images[:1], images):
        out = torch.from_numpy(session.run(None, {"images": batch.numpy()})[0])
        assert torch.allclose(out, deployable(batch), atol=1e-5)
    assert metadata["classes"] == CLASSES


def test_exporting_leaves_the_callers_model_alone(tmp_path):
    model = MLP(784, (8,), 10, dropout=0.5).train()
    deployable = Deployable(model, 0.3, 0.35, CLASSES)
    save_program(deployable, tmp_path / "m.pt2")
    assert not model.training  # Deployable switched it to eval: that is its documented job
    assert next(model.parameters()).device.type == "cpu"


def test_saving_into_a_missing_folder_says_so(deployable, tmp_path):
    for save in (save_program, save_onnx):
        with pytest.raises(FileNotFoundError, match="folder .*missing does not exist"):
            save(deployable, tmp_path / "missing" / "model.out")


def test_the_three_kinds_of_file_predict_the_same(deployable, program_file, onnx_file, images, tmp_path):
    checkpoint = checkpoints.save(deployable.model, tmp_path / "model.pt", normalize=[0.3, 0.35],
                                  classes=CLASSES)
    predictors = [load_predictor(path) for path in (checkpoint, program_file, onnx_file)]
    assert [p.kind for p in predictors] == ["checkpoint", "torch-export", "onnx"]
    expected = deployable(images)
    for predictor in predictors:
        assert predictor.classes == CLASSES and predictor.image_size == 28
        assert torch.allclose(predictor(images), expected, atol=1e-5)


def test_a_predictor_names_the_input_it_wants(program_file):
    predictor = load_predictor(program_file)
    with pytest.raises(ValueError, match=r"uint8 images of shape \(N, 28, 28\), got torch.float32"):
        predictor(torch.zeros(1, 28, 28))
    with pytest.raises(ValueError, match=r"got torch.uint8 of shape \(1, 32, 32\)"):
        predictor(torch.zeros(1, 32, 32, dtype=torch.uint8))


def test_a_checkpoint_without_metadata_serves_fashion_mnist(tmp_path):
    path = checkpoints.save(MLP(784, (8,), 10), tmp_path / "m.pt")
    deployable = Deployable.from_checkpoint(path)
    assert deployable.classes[0] == "T-shirt/top" and deployable.image_size == 28
    assert deployable.mean.item() == pytest.approx(0.2860)


def test_a_checkpoint_that_cannot_serve_images_is_refused(tmp_path):
    path = checkpoints.save(MLP(10, (8,), 10), tmp_path / "m.pt")
    with pytest.raises(ValueError, match="an MLP with 10 inputs does not take square images"):
        Deployable.from_checkpoint(path)


# --- what loading refuses ---------------------------------------------------------------


def rewrite(source, target, change):
    """Copy the .pt2 zip ``source`` to ``target``, passing each member's bytes through ``change``."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as out:
        for info in src.infolist():
            data = change(info.filename, src.read(info.filename))
            if data is not None:
                out.writestr(info, data)
    return target


def edit_json(member_suffix, edit):
    def change(name, data):
        if name.endswith(member_suffix):
            content = json.loads(data)
            edit(content)
            return json.dumps(content).encode()
        return data
    return change


class Payload:
    """Unpickling this would create a file: a harmless stand-in for an attacker's command."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (io.open, (self.path, "w"))


def test_a_pickle_in_the_example_inputs_is_refused_and_never_runs(program_file, tmp_path):
    pwned = tmp_path / "pwned.txt"
    buffer = io.BytesIO()
    torch.save(((Payload(pwned),), {}), buffer)
    evil = rewrite(program_file, tmp_path / "evil.pt2",
                   lambda name, data: buffer.getvalue() if "sample_inputs" in name else data)
    with pytest.raises(ValueError, match="example inputs .* are a pickle that weights_only=True will not load"):
        load_program(evil)
    assert not pwned.exists()
    with pytest.raises(ValueError, match="was refused"):
        load_predictor(evil)
    assert not pwned.exists()


def test_torch_export_load_itself_would_run_that_pickle(program_file, tmp_path):
    # Why the check exists: pinned so a torch upgrade that closes the hole is noticed.
    pwned = tmp_path / "pwned.txt"
    buffer = io.BytesIO()
    torch.save(((Payload(pwned),), {}), buffer)
    evil = rewrite(program_file, tmp_path / "evil.pt2",
                   lambda name, data: buffer.getvalue() if "sample_inputs" in name else data)
    try:
        torch.export.load(evil)
    except Exception:
        pass
    assert pwned.exists(), "torch.export.load no longer falls back to unpickling: update program.py's docstring"


def set_use_pickle(config):
    next(iter(config["config"].values()))["use_pickle"] = True


def set_guard(program):
    program["guards_code"] = ["open('pwned.txt', 'w') is None"]


def set_target(program):
    program["graph_module"]["graph"]["nodes"][0]["target"] = "torch.os.system"


def set_expression(program):
    def walk(node):
        if isinstance(node, dict):
            if "expr_str" in node:
                node["expr_str"] = "__import__('os').getcwd()"
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)
    walk(program)


@pytest.mark.parametrize("suffix, edit, message", [
    ("_weights_config.json", set_use_pickle, "is stored as a pickle or a Python object"),
    ("models/model.json", set_guard, "guard code .* does more than compare input sizes"),
    ("models/model.json", set_target, "a node calls 'torch.os.system', which is not a tensor operator"),
    ("models/model.json", set_expression, "is not plain arithmetic"),
])
def test_archives_that_could_run_code_are_refused(program_file, tmp_path, suffix, edit, message):
    evil = rewrite(program_file, tmp_path / "evil.pt2", edit_json(suffix, edit))
    with pytest.raises(ValueError, match=message):
        load_program(evil)


def test_a_legacy_pickled_member_is_refused(program_file, tmp_path):
    def add(name, data):
        return data
    evil = rewrite(program_file, tmp_path / "evil.pt2", add)
    with zipfile.ZipFile(evil, "a") as archive:
        folder = archive.namelist()[0].split("/")[0]
        archive.writestr(f"{folder}/data/weights/model.pt", b"pickle")
    with pytest.raises(ValueError, match="data/weights/model.pt, a member torch.export.load would unpickle"):
        load_program(evil)


def test_an_archive_with_two_folders_is_refused(program_file, tmp_path):
    evil = rewrite(program_file, tmp_path / "evil.pt2", lambda name, data: data)
    with zipfile.ZipFile(evil, "a") as archive:
        archive.writestr("other/archive_format", b"pt2")
    with pytest.raises(ValueError, match="holds one folder, each member once"):
        load_program(evil)


@pytest.mark.filterwarnings("ignore:No complete tensor found")  # torch.export.save on the CNN
def test_a_program_without_learntorch_metadata_is_named_as_such(deployable, tmp_path):
    from learntorch.export.program import export_program

    torch.export.save(export_program(deployable), tmp_path / "plain.pt2")
    with pytest.raises(ValueError, match="not one learntorch wrote: it has no learntorch.json"):
        load_program(tmp_path / "plain.pt2")


@pytest.mark.parametrize("content, message", [
    (b"", "not a zip archive"),
    (b"PK\x03\x04\x14\x00 truncated", "not a zip archive"),
])
def test_broken_program_files(tmp_path, content, message):
    path = tmp_path / "bad.pt2"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        load_program(path)


def test_a_checkpoint_is_not_an_exported_program(tmp_path):
    path = checkpoints.save(MLP(784, (8,), 10), tmp_path / "m.pt")
    with pytest.raises(ValueError, match="is a zip archive but not a torch.export program"):
        check_program_archive(path.read_bytes(), str(path))


@pytest.mark.parametrize("make, message", [
    (lambda good: good[: len(good) // 2], "is not a valid ONNX model"),
    (lambda good: b"hello, I am a text file\n", "is not a valid ONNX model"),
    (lambda good: b"", "is not a valid ONNX model"),
])
def test_corrupt_onnx_files_are_refused(onnx_file, tmp_path, make, message):
    path = tmp_path / "bad.onnx"
    path.write_bytes(make(onnx_file.read_bytes()))
    with pytest.raises(ValueError, match=message):
        load_onnx(path)
    with pytest.raises(ValueError):
        load_predictor(path)


def test_onnx_without_learntorch_metadata_or_with_external_weights(onnx_file, tmp_path):
    import onnx

    model = onnx.load(onnx_file)
    del model.metadata_props[:]
    onnx.save(model, tmp_path / "foreign.onnx")
    with pytest.raises(ValueError, match="not one learntorch wrote"):
        load_onnx(tmp_path / "foreign.onnx")

    model = onnx.load(onnx_file)
    onnx.save(model, tmp_path / "split.onnx", save_as_external_data=True, size_threshold=0)
    with pytest.raises(ValueError, match="keeps its weights in separate files"):
        load_onnx(tmp_path / "split.onnx")


def test_missing_files(tmp_path):
    for load in (load_program, load_onnx, load_predictor, file_kind):
        with pytest.raises(FileNotFoundError, match="does not exist"):
            load(tmp_path / "nothing.here")


# --- image files ------------------------------------------------------------------------


def test_read_images_stacks_grey_images(tmp_path):
    paths = []
    for value in (0, 255):
        paths.append(tmp_path / f"{value}.png")
        Image.new("L", (28, 28), color=value).save(paths[-1])
    images = read_images(paths)
    assert images.shape == (2, 28, 28) and images.dtype == torch.uint8
    assert images[0].max() == 0 and images[1].min() == 255


@pytest.mark.parametrize("make, message", [
    (lambda p: Image.new("RGB", (28, 28)).save(p), "is a RGB image; the model takes grey"),
    (lambda p: Image.new("L", (32, 30)).save(p), "is 32x30 pixels; the model takes 28x28"),
    (lambda p: p.write_bytes(b"not an image"), "is not an image file Pillow can read"),
])
def test_read_images_says_what_is_wrong(tmp_path, make, message):
    path = tmp_path / "picture.png"
    make(path)
    with pytest.raises(ValueError, match=message):
        read_images([path])


def test_read_images_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no image at"):
        read_images([tmp_path / "gone.png"])


def test_onnx_without_the_deploy_extra_names_the_install_line(deployable, tmp_path, monkeypatch):
    from learntorch.export import onnx_file

    def missing(name):
        raise ImportError(f"No module named {name!r}")

    monkeypatch.setattr(onnx_file.importlib, "import_module", missing)
    for call in (lambda: save_onnx(deployable, tmp_path / "m.onnx"), lambda: load_onnx(tmp_path / "m.onnx")):
        with pytest.raises(ImportError, match=r'pip install "learntorch\[deploy\]"'):
            call()


@pytest.mark.filterwarnings("ignore:No complete tensor found")
def test_guards_that_only_compare_sizes_are_accepted(tmp_path):
    from learntorch.export.program import METADATA_FILE

    class Pair(torch.nn.Module):
        def forward(self, x, y):
            return x[:, :3] + y

    batch = torch.export.Dim("batch")
    program = torch.export.export(Pair(), (torch.zeros(2, 5), torch.zeros(2, 3)),
                                  dynamic_shapes=({0: batch}, {0: batch}))
    assert program._guards_code == ["L['x'].size()[0] == L['y'].size()[0]"]  # what torch writes
    metadata = {"format": "learntorch-export", "classes": ["a", "b", "c"]}
    torch.export.save(program, tmp_path / "pair.pt2", extra_files={METADATA_FILE: json.dumps(metadata)})
    loaded, _ = load_program(tmp_path / "pair.pt2")
    assert loaded.module()(torch.ones(4, 5), torch.ones(4, 3)).shape == (4, 3)


@pytest.mark.parametrize("suffix, content", [
    ("models/model.json", b"{not json"),
    ("_weights_config.json", b"[1, 2, 3]"),
    ("_constants_config.json", b'{"config": {"c": "not a dict"}}'),
])
def test_a_damaged_archive_is_named_as_damaged(program_file, tmp_path, suffix, content):
    bad = rewrite(program_file, tmp_path / "damaged.pt2",
                  lambda name, data: content if name.endswith(suffix) else data)
    with pytest.raises(ValueError, match="damaged"):
        load_program(bad)


def test_a_zip_with_a_broken_member_is_named_as_damaged(program_file, tmp_path):
    data = bytearray(program_file.read_bytes())
    start = data.find(b'{"graph_module"')  # inside the stored model.json
    data[start + 100:start + 140] = b"x" * 40  # the bytes no longer match the member's CRC
    bad = tmp_path / "crc.pt2"
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="damaged"):
        load_program(bad)
    with pytest.raises(ValueError):
        load_predictor(bad)
