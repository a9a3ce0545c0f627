"""learntorch.gan and the GAN's networks: losses, one adversarial step, a tiny run, checkpoints."""

import math

import pytest
import torch

from learntorch import checkpoints, zoo
from learntorch.gan import fake_loss, latent_batch, real_loss, train_gan, train_step
from learntorch.models import Discriminator, Generator

TINY = {"latent_size": 8, "g_hidden": [16], "d_hidden": [16], "dropout": 0.3, "epochs": 2,
        "batch_size": 16, "lr": 2e-3, "betas": [0.5, 0.999], "smooth": 0.1, "samples": 4, "seed": 0}


def test_losses_are_binary_cross_entropy_against_the_labels():
    logits = torch.tensor([0.0, 2.0])
    p = torch.sigmoid(logits)
    assert math.isclose(real_loss(logits).item(), -torch.log(p).mean().item(), rel_tol=1e-6)
    assert math.isclose(fake_loss(logits).item(), -torch.log(1 - p).mean().item(), rel_tol=1e-6)
    smoothed = -(0.9 * torch.log(p) + 0.1 * torch.log(1 - p)).mean().item()
    assert math.isclose(real_loss(logits, smooth=0.1).item(), smoothed, rel_tol=1e-6)


def copies(model):
    return [p.detach().clone() for p in model.parameters()]


def changed(before, model):
    return any(not torch.equal(b, p) for b, p in zip(before, model.parameters()))


def test_each_half_of_a_step_updates_only_its_own_network():
    torch.manual_seed(0)
    G, D = Generator(8, [16]), Discriminator(hidden=[16])
    real = latent_batch(4, 784).view(4, 1, 28, 28)
    g0, d0 = copies(G), copies(D)
    frozen_g = torch.optim.SGD(G.parameters(), lr=0.0)          # G's step does nothing
    train_step(G, D, real, frozen_g, torch.optim.SGD(D.parameters(), lr=0.1))
    assert changed(d0, D) and not changed(g0, G)
    d1 = copies(D)
    train_step(G, D, real, torch.optim.SGD(G.parameters(), lr=0.1), torch.optim.SGD(D.parameters(), lr=0.0))
    assert changed(g0, G) and not changed(d1, D)                # G learned through D, D stayed


def test_a_tiny_run_records_samples_from_a_fixed_latent_batch():
    images = torch.rand(64, 1, 28, 28) * 2 - 1
    G, record = train_gan(TINY, images)
    assert not G.training
    assert record["samples"].shape == (3, 4, 1, 28, 28)        # before training + 2 epochs
    with torch.no_grad():
        assert torch.allclose(G(record["fixed_latent"]), record["samples"][-1])
    D = Discriminator(**record["discriminator_config"])
    D.load_state_dict(record["discriminator_state"])
    G2, record2 = train_gan(TINY, images)
    assert torch.equal(record["samples"], record2["samples"])  # seeded: the same run twice


def test_images_outside_minus_one_to_one_are_refused():
    with pytest.raises(ValueError, match=r"scaled to \[-1, 1\]"):
        train_gan(TINY, torch.randint(0, 256, (64, 1, 28, 28)).float())
    with pytest.raises(ValueError, match=r"\(N, 1, S, S\)"):
        train_gan(TINY, torch.zeros(64, 28, 28))


@pytest.mark.parametrize("make, x, message", [
    (lambda: Generator(100), torch.zeros(2, 64), r"latent vectors of shape \(batch, 100\)"),
    (lambda: Discriminator(), torch.zeros(2, 784), r"images of shape \(batch, 1, 28, 28\)"),
])
def test_wrong_input_shapes_are_named(make, x, message):
    with pytest.raises(ValueError, match=message):
        make()(x)


@pytest.mark.parametrize("make, message", [
    (lambda: Generator(0), "latent_size"), (lambda: Generator(hidden=[]), "hidden"),
    (lambda: Discriminator(hidden=[8, -1]), "hidden"), (lambda: Generator(dropout=1.0), "dropout"),
])
def test_bad_sizes_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_the_generator_round_trips_through_a_checkpoint(tmp_path):
    G = Generator(8, [16, 32], dropout=0.0)
    loaded = checkpoints.load(checkpoints.save(G, tmp_path / "g.pt"))
    z = latent_batch(3, 8)
    with torch.no_grad():
        assert torch.equal(loaded(z), G.eval()(z))


def test_cached_results_are_computed_once_and_again_when_damaged(tmp_path):
    calls = []

    def compute(recipe):
        calls.append(recipe)
        return {"image": torch.ones(2), "steps": recipe["steps"]}

    first = zoo.cached_result("demo", {"steps": 3}, compute, tmp_path)
    assert zoo.cached_result("demo", {"steps": 3}, compute, tmp_path)["steps"] == 3 and len(calls) == 1
    (path,) = tmp_path.glob("demo-*.pt")
    path.write_bytes(b"damaged")
    assert torch.equal(zoo.cached_result("demo", {"steps": 3}, compute, tmp_path)["image"], first["image"])
    assert len(calls) == 2
    zoo.cached_result("demo", {"steps": 4}, compute, tmp_path)  # another recipe: another file
    assert len(calls) == 3 and len(list(tmp_path.glob("demo-*.pt"))) == 2


def test_a_result_that_could_not_be_loaded_back_is_refused_before_it_is_written(tmp_path):
    with pytest.raises(ValueError, match="cannot read back"):
        zoo.cached_result("bad", {"steps": 1}, lambda r: {"when": object()}, tmp_path)
    assert not list(tmp_path.glob("bad-*.pt"))


def test_the_shared_registry_knows_the_new_models():
    assert {"fashion-gan", "style-transfer"} <= set(zoo.SHARED)
    with pytest.raises(ValueError, match="unknown recipe settings"):
        zoo.style_transfer_result(max_sise=32)
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        zoo.fashion_gan(epochs=0)
