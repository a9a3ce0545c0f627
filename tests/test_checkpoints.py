"""learntorch.checkpoints: round trips, resuming, atomic saves, and every way a file can be wrong."""

import pickle

import pytest
import torch
from torch import nn

from learntorch import checkpoints
from learntorch.checkpoints import load, read, save
from learntorch.models import MLP


def small_mlp(seed=0, hidden=(8, 4)):
    torch.manual_seed(seed)
    return MLP(12, hidden, 3)


def test_round_trip_gives_the_same_predictions(tmp_path):
    model = small_mlp()
    x = torch.randn(5, 12)
    path = save(model, tmp_path / "m.pt", epoch=3, test_accuracy=0.91, notes={"run": [1, 2]})
    loaded = load(path)
    assert isinstance(loaded, MLP) and not loaded.training
    assert loaded.config == model.config
    model.eval()
    assert torch.equal(loaded(x), model(x))
    checkpoint = read(path)
    assert checkpoint["format"] == "learntorch-checkpoint" and checkpoint["version"] == 1
    assert checkpoint["metadata"] == {"epoch": 3, "test_accuracy": 0.91, "notes": {"run": [1, 2]}}
    assert checkpoint["optimizer_state"] is None


def test_the_file_is_a_plain_dict_torch_load_opens(tmp_path):
    path = save(small_mlp(), tmp_path / "m.pt")
    raw = torch.load(path, weights_only=True)
    assert sorted(raw) == sorted(checkpoints.KEYS)
    assert raw["model_class"] == "MLP"


def test_resume_with_optimizer_state_continues_exactly(tmp_path):
    x, y = torch.randn(32, 12), torch.randint(0, 3, (32,))

    def steps(model, optimizer, n):
        for _ in range(n):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()

    model = small_mlp()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    steps(model, optimizer, 3)
    path = save(model, tmp_path / "m.pt", optimizer=optimizer, step=3)
    steps(model, optimizer, 3)  # the uninterrupted run

    resumed = load(path).train()
    resumed_opt = torch.optim.Adam(resumed.parameters(), lr=0.01)
    resumed_opt.load_state_dict(read(path)["optimizer_state"])
    assert resumed_opt.state_dict()["state"][0]["step"] == 3  # Adam's step count came back
    steps(resumed, resumed_opt, 3)
    for a, b in zip(model.parameters(), resumed.parameters()):
        assert torch.allclose(a, b, atol=1e-6)


def test_save_overwrites_atomically_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "m.pt"
    save(small_mlp(0), path)
    save(small_mlp(1), path)
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]
    assert torch.equal(read(path)["state_dict"]["layers.1.weight"], small_mlp(1).state_dict()["layers.1.weight"])


def test_a_crash_mid_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = save(small_mlp(0), tmp_path / "m.pt", epoch=1)
    before = path.read_bytes()

    def crash(obj, f):  # write half a file, then die as a killed process would
        f.write(b"PK\x03\x04 half a zip")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        save(small_mlp(1), path, epoch=2)
    assert path.read_bytes() == before
    assert read(path)["metadata"] == {"epoch": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]


def test_load_on_a_device(tmp_path):
    model = load(save(small_mlp(), tmp_path / "m.pt"), device="cpu")
    assert next(model.parameters()).device.type == "cpu"


@pytest.mark.skipif(not torch.accelerator.is_available(), reason="needs an accelerator (GPU, MPS, XPU)")
def test_accelerator_model_saves_cpu_weights_and_loads_back_on_it(tmp_path):
    device = torch.accelerator.current_accelerator()
    path = save(small_mlp().to(device), tmp_path / "m.pt")
    assert read(path)["state_dict"]["layers.1.weight"].device.type == "cpu"
    assert next(load(path, device=device).parameters()).device.type == device.type


# --- Bad input: each raises with a message naming the file and the problem -----------------


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no checkpoint at .*nothing\.pt"):
        load(tmp_path / "nothing.pt")


def test_a_folder_is_not_a_checkpoint(tmp_path):
    with pytest.raises(ValueError, match="is not a file"):
        read(tmp_path)


def test_truncated_file(tmp_path):
    path = save(small_mlp(), tmp_path / "m.pt")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"m\.pt is truncated or damaged"):
        load(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.pt"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match=r"empty\.pt is empty \(0 bytes\)"):
        read(path)


def test_random_bytes(tmp_path):
    path = tmp_path / "noise.pt"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ValueError, match=r"noise\.pt is not a PyTorch checkpoint: its first bytes"):
        read(path)


def test_bare_state_dict_is_foreign(tmp_path):
    path = tmp_path / "weights.pt"
    torch.save(small_mlp().state_dict(), path)
    with pytest.raises(ValueError, match=r"weights\.pt is not a learntorch checkpoint: it holds a bare state_dict"):
        load(path)


def test_other_dict_is_foreign(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"epoch": 3, "model": {"w": torch.ones(2)}}, path)
    with pytest.raises(ValueError, match=r"not a learntorch checkpoint: it holds a dict with keys \['epoch', 'model'\]"):
        read(path)


def test_a_saved_tensor_is_foreign(tmp_path):
    path = tmp_path / "t.pt"
    torch.save(torch.ones(3), path)
    with pytest.raises(ValueError, match="not a learntorch checkpoint: it holds a Tensor"):
        read(path)


def test_a_whole_pickled_module_is_refused(tmp_path):
    path = tmp_path / "module.pt"
    torch.save(nn.Linear(2, 2), path)  # pickles the class itself, not just the weights
    with pytest.raises(checkpoints.UnsafeCheckpointError,
                       match=r"module\.pt was refused: it stores pickled Python objects \(torch\.nn\.modules\.linear\.Linear\)"):
        load(path)


class Payload:
    """Unpickling this would call open(marker, "w"): the marker file proves code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("writer", ["torch.save", "pickle protocol 2", "pickle protocol 4"])
def test_malicious_pickle_never_executes(tmp_path, writer):
    marker = tmp_path / "PWNED"
    path = tmp_path / "evil.pt"
    if writer == "torch.save":
        torch.save({"format": "learntorch-checkpoint", "payload": Payload(marker)}, path)
    else:
        with open(path, "wb") as f:
            pickle.dump(Payload(marker), f, protocol=int(writer[-1]))
    assert not marker.exists()
    with pytest.raises(checkpoints.UnsafeCheckpointError,
                       match=r"evil\.pt was refused as unsafe: loading it would call io\.open.*Nothing in it was executed"):
        load(path)
    assert not marker.exists(), "loading ran the pickle's payload"


def test_the_refusal_names_what_was_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save(Payload(tmp_path / "PWNED"), path)
    with pytest.raises(ValueError, match=r"would call io\.open.*Nothing in it was executed"):
        read(path)


def test_newer_version(tmp_path):
    path = save(small_mlp(), tmp_path / "m.pt")
    checkpoint = read(path)
    checkpoint["version"] = 2
    torch.save(checkpoint, path)
    with pytest.raises(ValueError, match="of version 2; this learntorch reads version 1"):
        load(path)


def tampered_checkpoint(tmp_path, change):
    """A real checkpoint of a small MLP, read back, altered by ``change(dict)`` and re-saved."""
    path = save(small_mlp(), tmp_path / "m.pt")
    checkpoint = read(path)
    change(checkpoint)
    torch.save(checkpoint, path)
    return path


def test_missing_keys_in_the_checkpoint(tmp_path):
    path = tampered_checkpoint(tmp_path, lambda c: c.pop("state_dict"))
    with pytest.raises(ValueError, match=r"incomplete learntorch checkpoint: missing \['state_dict'\]"):
        load(path)


def test_unknown_model_class(tmp_path):
    path = tampered_checkpoint(tmp_path, lambda c: c.update(model_class="Transformer"))
    with pytest.raises(ValueError, match=r"class 'Transformer', which learntorch does not know; known classes: MLP"):
        load(path)


def test_config_that_does_not_build(tmp_path):
    path = tampered_checkpoint(tmp_path, lambda c: c["config"].update(hidden=[-4]))
    with pytest.raises(ValueError, match=r"m\.pt: its config .* does not build a MLP: MLP hidden\[0\] must be a positive"):
        load(path)


def test_weights_of_another_architecture(tmp_path):
    path = save(small_mlp(hidden=(8, 4)), tmp_path / "m.pt")
    checkpoint = read(path)
    checkpoint["state_dict"] = small_mlp(hidden=(6, 4)).state_dict()
    torch.save(checkpoint, path)
    with pytest.raises(ValueError, match=r"do not fit MLP.*layers\.1\.weight: checkpoint \(6, 12\) vs model \(8, 12\)"):
        load(path)


def test_weights_with_missing_and_extra_layers(tmp_path):
    path = save(small_mlp(hidden=(8, 4)), tmp_path / "m.pt")
    checkpoint = read(path)
    checkpoint["state_dict"] = small_mlp(hidden=(8,)).state_dict()
    torch.save(checkpoint, path)
    with pytest.raises(ValueError, match=r"missing keys \['layers\.5\.bias', 'layers\.5\.weight'\]"):
        load(path)


def test_metadata_must_be_weights_only_safe(tmp_path):
    import numpy as np

    with pytest.raises(ValueError, match=r"metadata\['accuracy'\] is a numpy\.float64.*use \.item\(\)"):
        save(small_mlp(), tmp_path / "m.pt", accuracy=np.float64(0.9))
    with pytest.raises(ValueError, match=r"metadata\['when'\]\[0\] is a builtins\.object"):
        save(small_mlp(), tmp_path / "m.pt", when=[object()])
    with pytest.raises(ValueError, match=r"metadata\['classes'\] has a key of type tuple"):
        save(small_mlp(), tmp_path / "m.pt", classes={(1, 2): "x"})
    assert not (tmp_path / "m.pt").exists()


def test_only_registered_models_can_be_saved(tmp_path):
    with pytest.raises(ValueError, match=r"cannot save a Linear: only models in learntorch\.models\.MODELS"):
        save(nn.Linear(2, 2), tmp_path / "m.pt")


def test_save_into_a_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"folder .*nope does not exist"):
        save(small_mlp(), tmp_path / "nope" / "m.pt")


def test_optimizer_must_be_an_optimizer(tmp_path):
    with pytest.raises(ValueError, match="optimizer must be a torch.optim.Optimizer such as .*, got dict"):
        save(small_mlp(), tmp_path / "m.pt", optimizer={"lr": 0.1})
