"""learntorch.models: output shapes, the config that rebuilds a model, and bad configurations."""

import sys

import pytest
import torch
from conftest import ROOT

from learntorch.models import CNN, MLP, MODELS

sys.path.insert(0, str(ROOT / "benchmarks"))
from fmnist_mlp import RandLikeDropout  # noqa: E402  (benchmarks/fmnist_mlp.py: an aside, no lesson uses it)


def test_mlp_gives_one_logit_per_class_for_images_and_flat_rows():
    model = MLP(784, (32, 16), 10)
    assert model(torch.zeros(4, 1, 28, 28)).shape == (4, 10)
    assert model(torch.zeros(4, 784)).shape == (4, 10)


def test_mlp_layers_follow_the_config():
    model = MLP(20, (8, 4), 3, dropout=0.5)
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(20, 8), (8, 4), (4, 3)]
    assert sum(isinstance(m, torch.nn.Dropout) for m in model.modules()) == 2
    assert not any(isinstance(m, torch.nn.Dropout) for m in MLP(20, (8, 4), 3).modules())


def test_teaching_models_use_standard_torch_nn_modules_only():
    # The models lessons teach are built from torch.nn's own classes: a learner who prints one
    # sees nn.Dropout, not a look-alike; speed tricks stay in benchmarks/.
    for model in (MLP(20, (8, 4), 3, dropout=0.5), CNN(1, (4, 8), 28, hidden=16, out_features=10)):
        foreign = {type(m).__module__ for m in model.modules() if m is not model}
        assert foreign and all(name.startswith("torch.nn.") for name in foreign), foreign
        assert any(type(m) is torch.nn.Dropout for m in model.modules())


def test_an_empty_hidden_list_is_a_linear_model():
    model = MLP(6, (), 2)
    assert [type(m).__name__ for m in model.layers] == ["Flatten", "Linear"]


def test_config_rebuilds_the_same_architecture():
    model = MLP(30, (7,), 4, dropout=0.1)
    twin = MODELS["MLP"](**model.config)
    assert twin.config == model.config
    assert {k: v.shape for k, v in twin.state_dict().items()} == {k: v.shape for k, v in model.state_dict().items()}


def test_dropout_is_active_only_in_training_mode():
    torch.manual_seed(0)
    model = MLP(10, (50,), 2, dropout=0.5)
    x = torch.randn(3, 10)
    model.eval()
    assert torch.equal(model(x), model(x))
    model.train()
    assert not torch.equal(model(x), model(x))


def test_registry_names_match_the_classes():
    assert all(cls.__name__ == name for name, cls in MODELS.items())
    assert MODELS["MLP"] is MLP


@pytest.mark.parametrize("kwargs, message", [
    (dict(in_features=0), r"in_features must be a positive integer, got 0"),
    (dict(out_features=2.5), r"out_features must be a positive integer, got 2\.5"),
    (dict(hidden=(16, -1)), r"hidden\[1\] must be a positive integer, got -1"),
    (dict(dropout=1.0), r"dropout must be in \[0, 1\), got 1\.0"),
    (dict(dropout=-0.1), r"dropout must be in \[0, 1\)"),
])
def test_bad_config(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MLP(**kwargs)


def test_wrong_input_shape_says_what_was_expected():
    with pytest.raises(ValueError, match=r"expected a batch of inputs with 784 features.*got shape \(2, 1, 14, 14\)"):
        MLP()(torch.zeros(2, 1, 14, 14))


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_benchmark_dropout_zeroes_a_fraction_p_and_scales_survivors_like_nn_dropout(p):
    torch.manual_seed(0)
    x = torch.rand(200_000) + 0.5  # no zeros of its own
    ours, theirs = RandLikeDropout(p)(x), torch.nn.Dropout(p)(x)
    for out in (ours, theirs):
        kept = out != 0
        assert abs(1 - kept.float().mean().item() - p) < 0.005
        assert torch.allclose(out[kept], x[kept] / (1 - p))


def test_benchmark_dropout_gradient_is_the_same_mask_and_eval_mode_is_the_identity():
    torch.manual_seed(0)
    x = torch.randn(1000, requires_grad=True)
    drop = RandLikeDropout(0.3)
    out = drop(x)
    out.sum().backward()
    assert torch.equal(x.grad, (out != 0).float() / 0.7)  # d out / d x is the scaled mask
    x_eval = torch.randn(5)
    assert drop.eval()(x_eval) is x_eval
