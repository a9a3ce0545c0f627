"""learntorch.training: fit lowers the loss, early stopping, evaluate/predict, devices."""

import pytest
import torch
from torch import nn

from learntorch.data import TensorLoader
from learntorch.training import default_device, evaluate, fit, predict, train_epoch


def blobs(n=200, seed=0):
    """Two well-separated classes in 2-D: any working loop learns them."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 2
    x = torch.randn(n, 2, generator=g) + (y.float() * 4 - 2).unsqueeze(1)
    return x, y


def test_fit_lowers_the_loss_and_records_history():
    torch.manual_seed(0)
    x, y = blobs()
    model = nn.Linear(2, 2)
    history = fit(model, TensorLoader(x, y, 32, shuffle=True, seed=0),
                  torch.optim.SGD(model.parameters(), lr=0.1), epochs=4, progress=False)
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert len(history["seconds"]) == 4 and history["val_loss"] == []
    assert evaluate(model, TensorLoader(x, y, 50))["accuracy"] > 0.95


def test_fit_with_validation_tracks_the_best_epoch():
    torch.manual_seed(0)
    x, y = blobs()
    model = nn.Linear(2, 2)
    history = fit(model, TensorLoader(x, y, 32), torch.optim.SGD(model.parameters(), lr=0.1), 3,
                  val_loader=TensorLoader(*blobs(seed=1), 50), progress=False)
    assert len(history["val_accuracy"]) == 3
    assert history["best_epoch"] == min(range(3), key=history["val_loss"].__getitem__)


def test_early_stopping_stops_and_restores_the_best_weights():
    torch.manual_seed(0)
    x, y = blobs()
    val_x, val_y = blobs(seed=1)
    model = nn.Linear(2, 2)
    # Validation labels are flipped: the better the model learns, the worse validation gets,
    # so the first epoch is the best and training must stop `patience` epochs later.
    val_loader = TensorLoader(val_x, 1 - val_y, 50)
    snapshots = []

    class Recording(torch.optim.SGD):
        def step(self, closure=None):
            super().step(closure)
            snapshots.append({k: v.clone() for k, v in model.state_dict().items()})

    optimizer = Recording(model.parameters(), lr=0.5)
    history = fit(model, TensorLoader(x, y, 200), optimizer, epochs=20, val_loader=val_loader,
                  patience=2, progress=False)
    assert history["stopped_early"] and history["best_epoch"] == 0
    assert len(history["train_loss"]) == 3  # the best epoch + 2 without improvement
    best = snapshots[0]  # one batch per epoch: the weights after epoch 0
    assert all(torch.equal(model.state_dict()[k], best[k]) for k in best)
    assert evaluate(model, val_loader)["loss"] == pytest.approx(history["val_loss"][0])


def test_evaluate_restores_training_mode_and_counts_accuracy():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    model.train()
    x = torch.zeros(4, 2)
    with torch.no_grad():
        model[0].weight.zero_()
        model[0].bias.copy_(torch.tensor([1.0, 0.0]))  # always predicts class 0
    result = evaluate(model, TensorLoader(x, torch.tensor([0, 0, 0, 1]), 2))
    assert result["accuracy"] == 0.75 and model.training


def test_predict_gives_probabilities_in_batches():
    model = nn.Linear(3, 4)
    x = torch.randn(10, 3)
    probs = predict(model, x, batch_size=3)
    assert probs.shape == (10, 4)
    assert torch.allclose(probs.sum(1), torch.ones(10))
    assert torch.allclose(probs, torch.softmax(model(x), 1).detach())


def test_device_argument_on_cpu():
    x, y = blobs(40)
    model = nn.Linear(2, 2)
    fit(model, TensorLoader(x, y, 20), torch.optim.SGD(model.parameters(), 0.1), 1, device="cpu", progress=False)
    assert next(model.parameters()).device.type == "cpu"


def test_default_device_is_the_accelerator_or_the_cpu():
    expected = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
    assert default_device().type == expected


@pytest.mark.skipif(not torch.accelerator.is_available(), reason="needs an accelerator (GPU, MPS, XPU)")
def test_fit_on_the_accelerator_moves_the_model_and_batches():
    x, y = blobs(40)
    model = nn.Linear(2, 2)
    device = default_device()
    fit(model, TensorLoader(x, y, 20), torch.optim.SGD(model.parameters(), 0.1), 1, device=device, progress=False)
    assert next(model.parameters()).device.type == device.type
    assert evaluate(model, TensorLoader(x, y, 20))["accuracy"] >= 0


@pytest.mark.parametrize("epochs", [0, -1, 1.5])
def test_fit_bad_epochs(epochs):
    model = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        fit(model, TensorLoader(*blobs(10), 5), torch.optim.SGD(model.parameters(), 0.1), epochs)


def test_patience_needs_a_validation_loader():
    model = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="patience=.*needs a val_loader"):
        fit(model, TensorLoader(*blobs(10), 5), torch.optim.SGD(model.parameters(), 0.1), 2, patience=1)


def test_integer_inputs_are_rejected():
    model = nn.Linear(2, 2)
    loader = TensorLoader(torch.zeros(4, 2, dtype=torch.long), torch.zeros(4, dtype=torch.long), 2)
    with pytest.raises(ValueError, match="inputs must be floating point"):
        train_epoch(model, loader, torch.optim.SGD(model.parameters(), 0.1), "cpu")


def test_float_labels_are_rejected():
    loader = TensorLoader(torch.zeros(4, 2), torch.zeros(4), 2)
    with pytest.raises(ValueError, match="labels must be class indices of dtype torch.long"):
        evaluate(nn.Linear(2, 2), loader)


def test_a_diverging_loss_is_reported():
    model = nn.Linear(2, 2)
    x = torch.full((4, 2), float("nan"))  # TensorLoader refuses NaN: a plain list of batches does not
    with pytest.raises(ValueError, match=r"training diverged: the training loss became nan; lower the learning rate \(lr=0.1\)"):
        train_epoch(model, [(x, torch.zeros(4, dtype=torch.long))],
                    torch.optim.SGD(model.parameters(), 0.1), "cpu")


@pytest.mark.parametrize("x, message", [
    (torch.zeros(3, 2, dtype=torch.long), "floating-point tensor"),
    (torch.zeros(0, 2), "empty batch"),
    (torch.tensor([[float("nan"), 0.0]]), r"x holds 1 NaN/inf value\(s\), the first at index \(0, 0\)"),
])
def test_predict_bad_input(x, message):
    with pytest.raises(ValueError, match=message):
        predict(nn.Linear(2, 2), x)


# --- learntorch.recipes: the tuned Fashion-MNIST recipe the CLI and benchmark share ----------

from learntorch.recipes import FashionRecipe, train  # noqa: E402


def tiny_images(n=96, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 1, 28, 28, generator=g), torch.arange(n) % 10


def test_recipe_train_is_repeatable_and_returns_an_eval_model():
    x, y = tiny_images()
    recipe = FashionRecipe(hidden=(16,), epochs=2, batch_size=32)
    model, history = train(recipe, x, y)
    again, _ = train(recipe, x, y)
    assert not model.training and len(history["train_loss"]) == 2 and len(history["seconds"]) == 2
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), again.parameters()))


def test_recipe_train_learns_a_small_set():
    x, y = tiny_images(64)
    model, history = train(FashionRecipe(hidden=(64,), dropout=0.0, epochs=15, batch_size=16, lr=0.01), x, y)
    assert history["train_loss"][-1] < history["train_loss"][0] / 2
    assert (model(x).argmax(1) == y).float().mean() > 0.9


def test_recipe_schedule_anneals_the_learning_rate():
    recipe = FashionRecipe(hidden=(4,), epochs=2, lr=0.01)
    model = recipe.model()
    optimizer = recipe.optimizer(model)
    scheduler = recipe.scheduler(optimizer, steps_per_epoch=5)
    rates = []
    for _ in range(10):
        optimizer.step()
        scheduler.step()
        rates.append(optimizer.param_groups[0]["lr"])
    assert max(rates) == pytest.approx(0.01, rel=0.05) and rates[-1] < 0.001


def test_recipe_max_batches_limits_each_epoch():
    x, y = tiny_images(96)
    _, history = train(FashionRecipe(hidden=(8,), epochs=1, batch_size=8), x, y, max_batches=2)
    assert len(history["train_loss"]) == 1
    with pytest.raises(ValueError, match="max_batches must be a positive integer, got 0"):
        train(FashionRecipe(hidden=(8,), epochs=1), x, y, max_batches=0)


@pytest.mark.parametrize("kwargs, message", [
    (dict(epochs=0), "epochs must be a positive integer, got 0"),
    (dict(batch_size=12.5), "batch_size must be a positive integer, got 12.5"),
    (dict(lr=-0.1), "lr must be a positive, finite number, got -0.1"),
    (dict(lr=float("inf")), "lr must be a positive, finite number, got inf"),
    (dict(seed=-2), "seed must be an integer >= 0, got -2"),
    (dict(dropout=1.2), r"dropout must be in \[0, 1\)"),
    (dict(hidden=(0,)), r"hidden\[0\] must be a positive integer"),
])
def test_recipe_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        FashionRecipe(**kwargs)


def test_recipe_to_dict_is_plain():
    assert FashionRecipe(hidden=(32, 16)).to_dict()["hidden"] == [32, 16]
