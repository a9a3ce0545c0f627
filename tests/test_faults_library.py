"""Fault suite, library calls: every bad argument gets a one-line error naming the argument.

Models, data loaders, fit/evaluate/predict, the recipes, the zoo, plots and features. Each
case asserts the exception type and that the message names the culprit (see faults.py).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from faults import Fault, params
from torch import nn

from learntorch import data, features, plots, zoo
from learntorch.data import TensorLoader, as_tensors, train_val_split
from learntorch.models import CNN, MLP
from learntorch.recipes import FashionRecipe, train
from learntorch.training import TrainingDiverged, evaluate, fit, predict

NO_GPU = not torch.cuda.is_available()
needs_no_gpu = pytest.mark.skipif(not NO_GPU, reason="this machine has a GPU")
INF, NAN = float("inf"), float("nan")


def loader(n=8, classes=3, x=None, y=None, batch_size=4):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 2, generator=g) if x is None else x
    y = torch.arange(n) % classes if y is None else y
    return TensorLoader(x, y, batch_size)


def fit_with(model=None, train_loader=None, optimizer=None, epochs=1, **kwargs):
    """Call fit with working defaults, replacing only what a case is about."""
    model = model if model is not None else nn.Linear(2, 3)
    optimizer = optimizer if optimizer is not None else torch.optim.SGD(model.parameters(), lr=0.1)
    train_loader = train_loader if train_loader is not None else loader()
    return fit(model, train_loader, optimizer, epochs, progress=False, **kwargs)


def fit_lr(lr, scale=1.0, batches=2):
    model = nn.Linear(2, 3)
    x = torch.randn(4 * batches, 2) * scale
    return fit(model, loader(4 * batches, x=x), torch.optim.SGD(model.parameters(), lr=lr), 1, progress=False)


def images(n=4, dtype=torch.float32):
    return torch.zeros(n, 1, 28, 28, dtype=dtype)


def fake_dataset(n=4):
    return SimpleNamespace(data=torch.zeros(n, 28, 28, dtype=torch.uint8), targets=torch.zeros(n, dtype=torch.long),
                           classes=[str(i) for i in range(10)])


# --- Models ----------------------------------------------------------------------------------
MODEL_CASES = [
    Fault("mlp-hidden-int", lambda t: MLP(784, 256, 10), ValueError, r"hidden must be a sequence.*write \(256,\)"),
    Fault("mlp-hidden-float", lambda t: MLP(784, 256.0, 10), ValueError, r"hidden .*got the number 256\.0"),
    Fault("mlp-hidden-none", lambda t: MLP(784, None, 10), ValueError, r"MLP hidden must be a sequence.*NoneType"),
    Fault("mlp-in-bool", lambda t: MLP(True, (8,), 10), ValueError, r"MLP in_features must be a positive integer, got True \(a bool\)"),
    Fault("mlp-in-zero", lambda t: MLP(0, (8,), 10), ValueError, r"MLP in_features .*got 0"),
    Fault("mlp-in-negative", lambda t: MLP(-3, (8,), 10), ValueError, r"MLP in_features .*got -3"),
    Fault("mlp-in-float", lambda t: MLP(784.0, (8,), 10), ValueError, r"MLP in_features .*got 784\.0"),
    Fault("mlp-in-str", lambda t: MLP("784", (8,), 10), ValueError, r"MLP in_features .*got '784'"),
    Fault("mlp-out-bool", lambda t: MLP(784, (8,), False), ValueError, r"MLP out_features .*False \(a bool\)"),
    Fault("mlp-out-zero", lambda t: MLP(784, (8,), 0), ValueError, r"MLP out_features .*got 0"),
    Fault("mlp-hidden-zero", lambda t: MLP(784, (128, 0), 10), ValueError, r"MLP hidden\[1\] .*got 0"),
    Fault("mlp-hidden-bool", lambda t: MLP(784, (128, True), 10), ValueError, r"MLP hidden\[1\] .*True \(a bool\)"),
    Fault("mlp-hidden-fraction", lambda t: MLP(784, (2.5,), 10), ValueError, r"MLP hidden\[0\] .*got 2\.5"),
    Fault("mlp-dropout-one", lambda t: MLP(784, (8,), 10, 1.0), ValueError, r"MLP dropout must be in \[0, 1\), got 1\.0"),
    Fault("mlp-dropout-negative", lambda t: MLP(784, (8,), 10, -0.1), ValueError, r"MLP dropout .*-0\.1"),
    Fault("mlp-dropout-nan", lambda t: MLP(784, (8,), 10, NAN), ValueError, r"MLP dropout .*nan"),
    Fault("mlp-dropout-bool", lambda t: MLP(784, (8,), 10, True), ValueError, r"MLP dropout .*True \(a bool\)"),
    Fault("mlp-dropout-str", lambda t: MLP(784, (8,), 10, "0.2"), ValueError, r"MLP dropout .*'0\.2'"),
    Fault("mlp-input-uint8", lambda t: MLP()(images(dtype=torch.uint8)), ValueError, r"x must be a float32 tensor, got dtype torch\.uint8; convert with x\.float\(\)"),
    Fault("mlp-input-float64", lambda t: MLP()(images(dtype=torch.float64)), ValueError, r"x must be a float32 .*torch\.float64; convert with x\.float\(\)"),
    Fault("mlp-input-int64", lambda t: MLP()(images(dtype=torch.long)), ValueError, r"x must be a float32 .*torch\.int64"),
    Fault("mlp-input-bool", lambda t: MLP()(images(dtype=torch.bool)), ValueError, r"x must be a float32 .*torch\.bool"),
    Fault("mlp-input-numpy", lambda t: MLP()(np.zeros((2, 784), np.float32)), ValueError, r"x must be a torch\.Tensor, got a numpy\.ndarray"),
    Fault("mlp-input-list", lambda t: MLP(2, (), 2)([[0.0, 1.0]]), ValueError, r"x must be a torch\.Tensor, got a list"),
    Fault("mlp-input-shape", lambda t: MLP()(torch.zeros(2, 1, 14, 14)), ValueError, r"784 features .*got shape \(2, 1, 14, 14\)"),
    Fault("mlp-input-1d", lambda t: MLP()(torch.zeros(784)), ValueError, r"784 features .*got shape \(784,\)"),
    Fault("cnn-channels-int", lambda t: CNN(1, 32), ValueError, r"CNN channels must be a sequence.*write \(32,\)"),
    Fault("cnn-channels-empty", lambda t: CNN(1, ()), ValueError, r"CNN channels must list at least one"),
    Fault("cnn-channels-negative", lambda t: CNN(1, (32, -1)), ValueError, r"CNN channels\[1\] .*got -1"),
    Fault("cnn-in-bool", lambda t: CNN(True), ValueError, r"CNN in_channels .*True \(a bool\)"),
    Fault("cnn-image-size-zero", lambda t: CNN(image_size=0), ValueError, r"CNN image_size .*got 0"),
    Fault("cnn-too-many-blocks", lambda t: CNN(1, (8, 8, 8), image_size=4), ValueError, r"3 pooling blocks shrink a 4x4 image"),
    Fault("cnn-hidden-negative", lambda t: CNN(hidden=-1), ValueError, r"CNN hidden must be an integer >= 0, got -1"),
    Fault("cnn-hidden-tuple", lambda t: CNN(hidden=(128,)), ValueError, r"CNN hidden must be an integer >= 0, got \(128,\)"),
    Fault("cnn-dropout-one", lambda t: CNN(dropout=1), ValueError, r"CNN dropout must be in \[0, 1\)"),
    Fault("cnn-input-uint8", lambda t: CNN()(images(dtype=torch.uint8)), ValueError, r"x must be a float32 .*uint8; convert with x\.float\(\)"),
    Fault("cnn-input-float64", lambda t: CNN()(images(dtype=torch.float64)), ValueError, r"x must be a float32 .*float64; convert with x\.float\(\)"),
    Fault("cnn-input-channels", lambda t: CNN()(torch.zeros(2, 3, 28, 28)), ValueError, r"CNN expected .*\(batch, 1, 28, 28\), got shape \(2, 3, 28, 28\)"),
    Fault("cnn-input-flat", lambda t: CNN()(torch.zeros(2, 784)), ValueError, r"CNN expected .*got shape \(2, 784\)"),
]

# --- Data: tensors and loaders ---------------------------------------------------------------
DATA_CASES = [
    Fault("loader-x-numpy", lambda t: TensorLoader(np.zeros((4, 2)), torch.zeros(4)), ValueError, r"TensorLoader x must be a torch\.Tensor, got a numpy\.ndarray; convert it first"),
    Fault("loader-x-list", lambda t: TensorLoader([[0.0, 1.0]] * 4, torch.zeros(4)), ValueError, r"TensorLoader x .*got a list"),
    Fault("loader-y-numpy", lambda t: TensorLoader(torch.zeros(4, 2), np.zeros(4)), ValueError, r"TensorLoader y .*numpy\.ndarray.*dtype=torch\.long"),
    Fault("loader-y-list", lambda t: TensorLoader(torch.zeros(4, 2), [0, 1, 0, 1]), ValueError, r"TensorLoader y .*got a list"),
    Fault("loader-batch-zero", lambda t: TensorLoader(torch.zeros(4), torch.zeros(4), 0), ValueError, r"batch_size must be a positive integer, got 0"),
    Fault("loader-batch-negative", lambda t: TensorLoader(torch.zeros(4), torch.zeros(4), -1), ValueError, r"batch_size .*got -1"),
    Fault("loader-batch-bool", lambda t: TensorLoader(torch.zeros(4), torch.zeros(4), True), ValueError, r"batch_size .*True \(a bool\)"),
    Fault("loader-batch-fraction", lambda t: TensorLoader(torch.zeros(4), torch.zeros(4), 2.5), ValueError, r"batch_size .*2\.5"),
    Fault("loader-batch-str", lambda t: TensorLoader(torch.zeros(4), torch.zeros(4), "64"), ValueError, r"batch_size .*'64'"),
    Fault("loader-length-mismatch", lambda t: TensorLoader(torch.zeros(3), torch.zeros(4)), ValueError, r"x and y must have the same length, got 3 and 4"),
    Fault("loader-empty", lambda t: TensorLoader(torch.zeros(0), torch.zeros(0)), ValueError, r"TensorLoader got empty tensors"),
    Fault("loader-scalar", lambda t: TensorLoader(torch.tensor(1.0), torch.tensor(1)), ValueError, r"TensorLoader x and y need one sample per row"),
    Fault("loader-x-nan", lambda t: TensorLoader(torch.tensor([[0.0, NAN]]), torch.zeros(1)), ValueError, r"TensorLoader x holds 1 NaN/inf value\(s\), the first at index \(0, 1\)"),
    Fault("loader-x-inf", lambda t: TensorLoader(torch.tensor([1.0, INF]), torch.zeros(2)), ValueError, r"TensorLoader x holds .*\(1,\) \(inf\)"),
    Fault("loader-x-minus-inf", lambda t: TensorLoader(torch.tensor([-INF, 1.0]), torch.zeros(2)), ValueError, r"TensorLoader x holds .*\(-inf\)"),
    Fault("loader-seed-negative", lambda t: TensorLoader(torch.zeros(4), torch.zeros(4), seed=-1), ValueError, r"seed must be an integer >= 0, got -1"),
    Fault("loader-seed-bool", lambda t: TensorLoader(torch.zeros(4), torch.zeros(4), seed=True), ValueError, r"seed .*True \(a bool\)"),
    Fault("as-tensors-std-nan", lambda t: as_tensors(fake_dataset(), 0.5, NAN), ValueError, r"std must be a positive, finite number, got nan"),
    Fault("as-tensors-std-inf", lambda t: as_tensors(fake_dataset(), 0.5, INF), ValueError, r"std .*got inf"),
    Fault("as-tensors-std-zero", lambda t: as_tensors(fake_dataset(), 0.5, 0), ValueError, r"std .*got 0"),
    Fault("as-tensors-std-negative", lambda t: as_tensors(fake_dataset(), 0.5, -0.3), ValueError, r"std .*got -0\.3"),
    Fault("as-tensors-std-bool", lambda t: as_tensors(fake_dataset(), 0.5, True), ValueError, r"std .*True \(a bool\)"),
    Fault("as-tensors-mean-inf", lambda t: as_tensors(fake_dataset(), INF, 0.3), ValueError, r"mean must be a finite number, got inf"),
    Fault("as-tensors-mean-nan", lambda t: as_tensors(fake_dataset(), NAN, 0.3), ValueError, r"mean .*got nan"),
    Fault("as-tensors-mean-only", lambda t: as_tensors(fake_dataset(), mean=0.5), ValueError, r"give both mean and std"),
    Fault("as-tensors-not-a-dataset", lambda t: as_tensors([1, 2, 3]), ValueError, r"as_tensors expects a torchvision MNIST-style dataset .*got list"),
    Fault("as-tensors-empty", lambda t: as_tensors(fake_dataset(0)), ValueError, r"as_tensors got an empty dataset"),
    Fault("split-fraction-zero", lambda t: train_val_split(torch.arange(10), torch.arange(10), 0.0), ValueError, r"val_fraction must be between 0 and 1"),
    Fault("split-fraction-big", lambda t: train_val_split(torch.arange(10), torch.arange(10), 1.5), ValueError, r"val_fraction .*1\.5"),
    Fault("split-fraction-nan", lambda t: train_val_split(torch.arange(10), torch.arange(10), NAN), ValueError, r"val_fraction .*nan"),
    Fault("split-fraction-bool", lambda t: train_val_split(torch.arange(10), torch.arange(10), True), ValueError, r"val_fraction .*True"),
    Fault("split-too-few", lambda t: train_val_split(torch.arange(3), torch.arange(3), 0.1), ValueError, r"val_fraction=0\.1 of 3 samples leaves one side empty"),
    Fault("split-length-mismatch", lambda t: train_val_split(torch.arange(5), torch.arange(4)), ValueError, r"x and y must have the same length, got 5 and 4"),
    Fault("split-numpy", lambda t: train_val_split(np.arange(10), torch.arange(10)), ValueError, r"x must be a torch\.Tensor, got a numpy\.ndarray"),
    Fault("split-seed-negative", lambda t: train_val_split(torch.arange(10), torch.arange(10), seed=-1), ValueError, r"seed must be an integer >= 0"),
    Fault("image-folder-per-class", lambda t: data.write_image_folder(fake_dataset(), t, [0], True), ValueError, r"per_class must be a positive integer, got True"),
]

# --- fit, evaluate, predict ------------------------------------------------------------------
TRAINING_CASES = [
    Fault("fit-epochs-zero", lambda t: fit_with(epochs=0), ValueError, r"epochs must be a positive integer, got 0"),
    Fault("fit-epochs-bool", lambda t: fit_with(epochs=True), ValueError, r"epochs .*True \(a bool\)"),
    Fault("fit-epochs-float", lambda t: fit_with(epochs=2.0), ValueError, r"epochs .*2\.0"),
    Fault("fit-patience-negative", lambda t: fit_with(val_loader=loader(), patience=-1), ValueError, r"patience must be a positive integer, got -1"),
    Fault("fit-patience-zero", lambda t: fit_with(val_loader=loader(), patience=0), ValueError, r"patience .*got 0"),
    Fault("fit-patience-bool", lambda t: fit_with(val_loader=loader(), patience=True), ValueError, r"patience .*True \(a bool\)"),
    Fault("fit-patience-no-val", lambda t: fit_with(patience=2), ValueError, r"patience=\.\.\.\) needs a val_loader"),
    Fault("fit-other-models-optimizer", lambda t: fit_with(model=nn.Linear(2, 3), optimizer=torch.optim.SGD(nn.Linear(2, 3).parameters(), lr=0.1)), ValueError, r"the optimizer updates none of the model's parameters"),
    Fault("fit-optimizer-str", lambda t: fit_with(optimizer="adam"), ValueError, r"optimizer must be a torch\.optim\.Optimizer .*got str"),
    Fault("fit-lr-inf", lambda t: fit_lr(INF), ValueError, r"the optimizer's learning rate lr must be a finite number, got inf"),
    Fault("fit-lr-nan", lambda t: fit_lr(NAN), ValueError, r"learning rate lr .*nan"),
    Fault("fit-device-unknown", lambda t: fit_with(device="gpu"), ValueError, r"device='gpu' is not a device PyTorch knows"),
    Fault("fit-train-loader-tensor", lambda t: fit_with(train_loader=torch.zeros(4, 2)), ValueError, r"train_loader must yield \(inputs, labels\) batches.*got Tensor"),
    Fault("fit-train-loader-none", lambda t: fit(nn.Linear(2, 3), None, torch.optim.SGD(nn.Linear(2, 3).parameters(), 0.1), 1), ValueError, r"train_loader must yield .*got NoneType"),
    Fault("fit-val-loader-tensor", lambda t: fit_with(val_loader=torch.zeros(4, 2)), ValueError, r"val_loader must yield"),
    Fault("fit-model-str", lambda t: fit("mlp", loader(), torch.optim.SGD(nn.Linear(2, 3).parameters(), 0.1), 1), ValueError, r"model must be an nn\.Module, got str"),
    Fault("fit-labels-too-big", lambda t: fit_with(train_loader=loader(y=torch.tensor([0, 1, 5, 2] * 2))), ValueError, r"labels must be class indices in 0\.\.2 for a model with 3 outputs, got values from 0 to 5"),
    Fault("fit-labels-negative", lambda t: fit_with(train_loader=loader(y=torch.tensor([0, -1, 2, 1] * 2))), ValueError, r"labels must be class indices in 0\.\.2 .*from -1"),
    Fault("fit-labels-float", lambda t: fit_with(train_loader=loader(y=torch.zeros(8))), ValueError, r"labels must be class indices of dtype torch\.long, got torch\.float32; convert them with y\.long\(\)"),
    Fault("fit-inputs-int", lambda t: fit_with(train_loader=[(torch.zeros(4, 2, dtype=torch.long), torch.zeros(4, dtype=torch.long))]), ValueError, r"inputs must be floating point .*torch\.int64"),
    Fault("fit-inputs-float64", lambda t: fit_with(train_loader=loader(x=torch.zeros(8, 2, dtype=torch.float64))), ValueError, r"inputs are torch\.float64 but the model's weights are torch\.float32; convert the inputs with x\.float\(\)"),
    Fault("fit-inputs-nan", lambda t: fit_with(train_loader=[(torch.full((4, 2), NAN), torch.zeros(4, dtype=torch.long))]), TrainingDiverged, r"training diverged: the training loss became nan; lower the learning rate \(lr=0\.1\)"),
    Fault("fit-lr-huge-loss", lambda t: fit_lr(1e30, scale=1e5, batches=3), TrainingDiverged, r"training diverged: the training loss became (nan|inf).*\(lr=1e\+30\)"),
    Fault("fit-lr-huge-weights", lambda t: fit_lr(3e38, scale=100.0, batches=1), TrainingDiverged, r"training diverged: the model's weights became NaN/inf; .*\(lr=3e\+38\)"),
    Fault("fit-batches-not-tensors", lambda t: fit_with(train_loader=[([0.0, 1.0], [0])]), ValueError, r"the loader must yield \(inputs, labels\) tensors, got \(list, list\)"),
    Fault("fit-loader-empty", lambda t: fit_with(train_loader=[]), ValueError, r"the training loader yielded no batches"),
    Fault("evaluate-labels-too-big", lambda t: evaluate(nn.Linear(2, 3), loader(y=torch.tensor([0, 1, 2, 7] * 2))), ValueError, r"labels must be class indices in 0\.\.2 .*to 7"),
    Fault("evaluate-loader-tensor", lambda t: evaluate(nn.Linear(2, 3), torch.zeros(4, 2)), ValueError, r"loader must yield \(inputs, labels\) batches"),
    Fault("evaluate-device-unknown", lambda t: evaluate(nn.Linear(2, 3), loader(), device="quantum"), ValueError, r"device='quantum' is not a device"),
    Fault("evaluate-labels-float", lambda t: evaluate(nn.Linear(2, 3), loader(y=torch.zeros(8))), ValueError, r"labels must be class indices of dtype torch\.long"),
    Fault("evaluate-empty", lambda t: evaluate(nn.Linear(2, 3), []), ValueError, r"the evaluation loader yielded no batches"),
    Fault("evaluate-model-none", lambda t: evaluate(None, loader()), ValueError, r"model must be an nn\.Module, got NoneType"),
    Fault("predict-plus-inf", lambda t: predict(nn.Linear(2, 3), torch.tensor([[INF, 0.0]])), ValueError, r"x holds 1 NaN/inf value\(s\), the first at index \(0, 0\) \(inf\)"),
    Fault("predict-minus-inf", lambda t: predict(nn.Linear(2, 3), torch.tensor([[0.0, -INF]])), ValueError, r"x holds .*\(0, 1\) \(-inf\)"),
    Fault("predict-nan", lambda t: predict(nn.Linear(2, 3), torch.tensor([[0.0, 1.0], [NAN, 0.0]])), ValueError, r"x holds .*\(1, 0\) \(nan\)"),
    Fault("predict-numpy", lambda t: predict(nn.Linear(2, 3), np.zeros((2, 2))), ValueError, r"x must be a torch\.Tensor, got a numpy\.ndarray"),
    Fault("predict-list", lambda t: predict(nn.Linear(2, 3), [[0.0, 1.0]]), ValueError, r"x must be a torch\.Tensor, got a list"),
    Fault("predict-uint8", lambda t: predict(nn.Linear(2, 3), torch.zeros(2, 2, dtype=torch.uint8)), ValueError, r"floating-point tensor x, got dtype torch\.uint8; convert it with x\.float\(\)"),
    Fault("predict-empty", lambda t: predict(nn.Linear(2, 3), torch.zeros(0, 2)), ValueError, r"predict got an empty batch"),
    Fault("predict-batch-zero", lambda t: predict(nn.Linear(2, 3), torch.zeros(3, 2), batch_size=0), ValueError, r"batch_size must be a positive integer, got 0"),
    Fault("predict-batch-bool", lambda t: predict(nn.Linear(2, 3), torch.zeros(3, 2), batch_size=True), ValueError, r"batch_size .*True \(a bool\)"),
    Fault("predict-device-unknown", lambda t: predict(nn.Linear(2, 3), torch.zeros(3, 2), device="gpu0"), ValueError, r"device='gpu0' is not a device"),
]

if NO_GPU:  # "no NVIDIA driver" from torch was the old answer; the fix is device='cpu'
    TRAINING_CASES += [
        Fault("fit-device-cuda", lambda t: fit_with(device="cuda"), ValueError, r"device='cuda', but this machine has no CUDA device .*use device='cpu'"),
        Fault("evaluate-device-cuda", lambda t: evaluate(nn.Linear(2, 3), loader(), device="cuda"), ValueError, r"device='cuda'.*use device='cpu'"),
        Fault("predict-device-cuda", lambda t: predict(nn.Linear(2, 3), torch.zeros(3, 2), device="cuda:0"), ValueError, r"device='cuda:0'.*use device='cpu'"),
        Fault("recipe-train-cuda", lambda t: train(FashionRecipe(hidden=(4,), epochs=1), images(), torch.zeros(4, dtype=torch.long), "cuda"), ValueError, r"device='cuda'.*use device='cpu'"),
        Fault("zoo-train-cuda", lambda t: zoo.train_fashion_cnn(zoo.make_recipe(epochs=1, subset=8), device="cuda"), ValueError, r"device='cuda'.*use device='cpu'"),
    ]

# --- Recipes and the zoo ---------------------------------------------------------------------
RECIPE_CASES = [
    Fault("recipe-epochs-bool", lambda t: FashionRecipe(epochs=True), ValueError, r"FashionRecipe epochs must be a positive integer, got True"),
    Fault("recipe-lr-inf", lambda t: FashionRecipe(lr=INF), ValueError, r"FashionRecipe lr must be a positive, finite number, got inf"),
    Fault("recipe-lr-zero", lambda t: FashionRecipe(lr=0), ValueError, r"FashionRecipe lr .*got 0"),
    Fault("recipe-seed-negative", lambda t: FashionRecipe(seed=-1), ValueError, r"FashionRecipe seed must be an integer >= 0"),
    Fault("recipe-hidden-int", lambda t: FashionRecipe(hidden=256), ValueError, r"hidden must be a sequence .*\(256,\)"),
    Fault("recipe-batch-zero", lambda t: FashionRecipe(batch_size=0), ValueError, r"FashionRecipe batch_size .*got 0"),
    Fault("recipe-train-uint8", lambda t: train(FashionRecipe(hidden=(4,), epochs=1), images(dtype=torch.uint8), torch.zeros(4, dtype=torch.long)), ValueError, r"x must be a float32 tensor, got dtype torch\.uint8"),
    Fault("recipe-train-label-10", lambda t: train(FashionRecipe(hidden=(4,), epochs=1), images(), torch.tensor([0, 1, 10, 2])), ValueError, r"y must be class indices in 0\.\.9, got values from 0 to 10"),
    Fault("recipe-train-shape", lambda t: train(FashionRecipe(hidden=(4,), epochs=1), torch.zeros(4, 3, 32, 32), torch.zeros(4, dtype=torch.long)), ValueError, r"x must be images of shape \(N, 1, 28, 28\).*got x \(4, 3, 32, 32\)"),
    Fault("recipe-train-max-batches", lambda t: train(FashionRecipe(hidden=(4,), epochs=1), images(), torch.zeros(4, dtype=torch.long), max_batches=0), ValueError, r"max_batches must be a positive integer, got 0"),
    Fault("recipe-train-diverged", lambda t: train(FashionRecipe(hidden=(16,), epochs=1, batch_size=8, lr=1e30), torch.randn(64, 1, 28, 28), torch.arange(64) % 10), TrainingDiverged, r"training diverged: the loss became (nan|inf) in epoch 1, batch \d+; lower the learning rate \(lr=1e\+30\)"),
    Fault("recipe-train-not-a-recipe", lambda t: train({"lr": 0.1}, images(), torch.zeros(4, dtype=torch.long)), ValueError, r"recipe must be a FashionRecipe, got dict"),
    Fault("zoo-epochs-zero", lambda t: zoo.make_recipe(epochs=0), ValueError, r"epochs must be a positive integer, got 0"),
    Fault("zoo-epochs-bool", lambda t: zoo.make_recipe(epochs=True), ValueError, r"epochs .*True \(a bool\)"),
    Fault("zoo-lr-inf", lambda t: zoo.make_recipe(lr=INF), ValueError, r"lr must be a positive, finite number, got inf"),
    Fault("zoo-subset-zero", lambda t: zoo.make_recipe(subset=0), ValueError, r"subset must be a positive integer, got 0"),
    Fault("zoo-unknown-setting", lambda t: zoo.make_recipe(epoch=3), ValueError, r"unknown recipe settings \['epoch'\]"),
    Fault("zoo-dropout", lambda t: zoo.make_recipe(dropout=1.5), ValueError, r"dropout must be in \[0, 1\), got 1\.5"),
    Fault("zoo-unknown-model", lambda t: zoo.prepare(["fashion-vgg"]), ValueError, r"unknown shared model 'fashion-vgg'"),
    Fault("zoo-train-diverged", lambda t: zoo.train_fashion_cnn(zoo.make_recipe(epochs=1, subset=512, test_subset=64, lr=1e30)), TrainingDiverged, r"training diverged: .*lower the learning rate \(lr=1e\+30\)"),
]

# --- Plots and features ----------------------------------------------------------------------
PLOT_CASES = [
    Fault("cm-fractional-target", lambda t: plots.confusion_matrix(torch.tensor([0.5, 1.0]), torch.tensor([0, 1]), 2), ValueError, r"targets must be whole class indices, got 0\.5"),
    Fault("cm-fractional-prediction", lambda t: plots.confusion_matrix(torch.tensor([0, 1]), torch.tensor([0.0, 1.25]), 2), ValueError, r"predictions must be whole class indices, got 1\.25"),
    Fault("cm-target-too-big", lambda t: plots.confusion_matrix(torch.tensor([0, 3]), torch.tensor([0, 1]), 2), ValueError, r"targets must be class indices in 0\.\.1, got values from 0 to 3"),
    Fault("cm-negative-prediction", lambda t: plots.confusion_matrix(torch.tensor([0, 1]), torch.tensor([-1, 1]), 2), ValueError, r"predictions must be class indices in 0\.\.1, got values from -1"),
    Fault("cm-nan-target", lambda t: plots.confusion_matrix(torch.tensor([NAN, 1.0]), torch.tensor([0, 1]), 2), ValueError, r"targets must be whole class indices, got nan"),
    Fault("cm-classes-zero", lambda t: plots.confusion_matrix(torch.tensor([0]), torch.tensor([0]), 0), ValueError, r"num_classes must be a positive integer, got 0"),
    Fault("cm-classes-bool", lambda t: plots.confusion_matrix(torch.tensor([0]), torch.tensor([0]), True), ValueError, r"num_classes .*True \(a bool\)"),
    Fault("cm-classes-float", lambda t: plots.confusion_matrix(torch.tensor([0]), torch.tensor([0]), 2.5), ValueError, r"num_classes .*2\.5"),
    Fault("cm-length-mismatch", lambda t: plots.confusion_matrix(torch.tensor([0, 1, 1]), torch.tensor([0, 1]), 2), ValueError, r"targets and predictions differ in length: 3 vs 2"),
    Fault("cm-bool-labels", lambda t: plots.confusion_matrix(torch.tensor([True]), torch.tensor([0]), 2), ValueError, r"targets must be integer class indices, got dtype torch\.bool"),
    Fault("view-logits", lambda t: plots.view_classify(torch.rand(1, 28, 28), torch.tensor([2.0, -1.0])), ValueError, r"probs must be class probabilities in \[0, 1\]; got logits\? apply torch\.softmax"),
    Fault("view-nan", lambda t: plots.view_classify(torch.rand(1, 28, 28), torch.tensor([NAN, 0.5])), ValueError, r"probs holds 1 NaN/inf"),
    Fault("view-names", lambda t: plots.view_classify(torch.rand(1, 28, 28), torch.tensor([0.5, 0.5]), ["a"]), ValueError, r"got 2 probabilities but 1 class names"),
    Fault("view-image-shape", lambda t: plots.view_classify(torch.rand(5), torch.tensor([1.0])), ValueError, r"expected an image of shape .*got \(5,\)"),
    Fault("grid-ncols-zero", lambda t: plots.image_grid(torch.rand(2, 1, 28, 28), ncols=0), ValueError, r"ncols must be a positive integer, got 0"),
    Fault("grid-few-labels", lambda t: plots.image_grid(torch.rand(3, 1, 28, 28), torch.tensor([0, 1])), ValueError, r"image_grid got 3 images but only 2 labels"),
    Fault("grid-label-beyond-names", lambda t: plots.image_grid(torch.rand(2, 1, 28, 28), torch.tensor([0, 5]), ["a", "b"]), ValueError, r"labels must be class indices in 0\.\.1, got values from 0 to 5"),
    Fault("grid-empty", lambda t: plots.image_grid([]), ValueError, r"image_grid got no images"),
    Fault("history-metric", lambda t: plots.plot_history({"train_loss": [1.0]}, "f1"), ValueError, r"metric must be 'loss' or 'accuracy', got 'f1'"),
    Fault("history-not-dict", lambda t: plots.plot_history([1.0, 0.5]), ValueError, r"history must be the dict that fit\(\) returned, got list"),
    Fault("history-empty", lambda t: plots.plot_history({}), ValueError, r"history has no train_loss values"),
    Fault("cm-plot-not-square", lambda t: plots.plot_confusion_matrix(torch.zeros(2, 3)), ValueError, r"matrix must be a square .*got shape \(2, 3\)"),
    Fault("cm-plot-names", lambda t: plots.plot_confusion_matrix(torch.zeros(2, 2), ["a", "b", "c"]), ValueError, r"got a 2x2 matrix but 3 class names"),
    Fault("filters-3d", lambda t: plots.plot_filters(torch.zeros(4, 3, 3)), ValueError, r"plot_filters expects conv weights of shape .*got \(4, 3, 3\)"),
    Fault("filters-ncols-zero", lambda t: plots.plot_filters(torch.zeros(4, 1, 3, 3), ncols=0), ValueError, r"ncols must be a positive integer, got 0"),
    Fault("filters-numpy", lambda t: plots.plot_filters(np.zeros((4, 1, 3, 3))), ValueError, r"weight must be a torch\.Tensor, got a numpy\.ndarray"),
    Fault("feature-maps-max-zero", lambda t: plots.plot_feature_maps(torch.rand(4, 5, 5), max_maps=0), ValueError, r"max_maps must be a positive integer, got 0"),
    Fault("feature-maps-dims", lambda t: plots.plot_feature_maps(torch.rand(5, 5)), ValueError, r"plot_feature_maps expects \(C, H, W\) .*got \(5, 5\)"),
    Fault("conv-size-bool", lambda t: features.conv_output_size(True, 3), ValueError, r"size must be an integer >= 1, got True"),
    Fault("conv-kernel-zero", lambda t: features.conv_output_size(28, 0), ValueError, r"kernel_size must be an integer >= 1, got 0"),
    Fault("conv-kernel-too-big", lambda t: features.conv_output_size(4, 7), ValueError, r"a 7-pixel kernel does not fit in 4 pixels"),
    Fault("feature-maps-int-input", lambda t: features.feature_maps(nn.Conv2d(1, 2, 3), torch.zeros(1, 1, 5, 5, dtype=torch.long)), ValueError, r"feature_maps expects a floating-point tensor batch, got torch\.int64"),
    Fault("feature-maps-no-conv", lambda t: features.feature_maps(nn.Linear(2, 2), torch.zeros(1, 2)), ValueError, r"the model has no layers of type Conv2d"),
]


def pretrained_cases():
    from learntorch import pretrained

    cases = [
        Fault("extract-batch-zero", lambda t: pretrained.extract_features(nn.Flatten(), torch.ones(2, 3, 2, 2), batch_size=0), ValueError, r"batch_size must be a positive integer, got 0"),
        Fault("extract-empty", lambda t: pretrained.extract_features(nn.Flatten(), torch.ones(0, 3, 2, 2)), ValueError, r"extract_features got no images"),
        Fault("backbone-unknown", lambda t: pretrained.backbone("resnet-18"), ValueError, r"unknown backbone 'resnet-18'"),
        Fault("preprocessing-small", lambda t: pretrained.preprocessing(8), ValueError, r"image_size must be an integer of at least 16 pixels, got 8"),
    ]
    if NO_GPU:
        cases.append(Fault("extract-device-cuda", lambda t: pretrained.extract_features(nn.Flatten(), torch.ones(2, 3, 2, 2), device="cuda"), ValueError, r"device='cuda'.*use device='cpu'"))
    return cases


ALL = MODEL_CASES + DATA_CASES + TRAINING_CASES + RECIPE_CASES + PLOT_CASES + pretrained_cases()


@pytest.mark.parametrize("case", params(ALL))
def test_library_fault(case, tmp_path):
    case.check(tmp_path)
    import matplotlib.pyplot as plt

    plt.close("all")  # a plot case may have drawn before it raised
