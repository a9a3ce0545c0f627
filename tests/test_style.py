"""learntorch.style: photos of any mode in, Gram matrices, and the optimisation loop (on a tiny VGG)."""

import numpy as np
import pytest
import torch
from PIL import Image

from learntorch.pretrained import VGG16, caffe_preprocess, vgg16_conv_stack, vgg16_layers
from learntorch.style import gram_matrix, image_tensor, style_transfer

SMALL = ((4, 4), (4, 4), (4, 4, 4), (4, 4, 4), (4, 4, 4))  # VGG16's shape, 4 channels everywhere


@pytest.fixture(scope="module")
def vgg():
    torch.manual_seed(0)
    features = vgg16_conv_stack(SMALL).eval().requires_grad_(False)
    return VGG16(features, caffe_preprocess, vgg16_layers(SMALL))


def photo(h=24, w=32, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_grey_images_get_three_equal_channels():
    for grey in (photo()[..., 0], photo()[..., :1], Image.fromarray(photo()[..., 0])):
        x = image_tensor(grey)
        assert x.shape == (1, 3, 24, 32)
        assert torch.equal(x[:, 0], x[:, 1]) and torch.equal(x[:, 1], x[:, 2])


def test_alpha_is_composited_onto_white():
    rgba = np.concatenate([photo(), np.zeros((24, 32, 1), np.uint8)], axis=2)
    rgba[:12, :, 3] = 255                                   # top half opaque, bottom transparent
    for picture in (rgba, Image.fromarray(rgba, "RGBA")):
        x = image_tensor(picture)
        assert torch.allclose(x[0, :, :12], torch.from_numpy(photo()[:12]).permute(2, 0, 1) / 255)
        assert torch.equal(x[0, :, 12:], torch.ones(3, 12, 32))
    half = np.full((24, 32, 2), 128, np.uint8)              # grey + alpha ("LA"): 50 % grey at 50 %
    assert torch.allclose(image_tensor(half), torch.full((1, 3, 24, 32), 128 / 255 * 128 / 255 + 127 / 255))
    palette = Image.fromarray(photo()[..., 0]).convert("P")
    palette.info["transparency"] = 0
    assert image_tensor(palette).shape == (1, 3, 24, 32)


def test_size_is_capped_keeping_the_aspect_ratio_and_never_enlarged():
    assert image_tensor(photo(100, 200), max_size=50).shape == (1, 3, 25, 50)
    assert image_tensor(photo(24, 32), max_size=500).shape == (1, 3, 24, 32)
    x = image_tensor(photo(100, 200), max_size=50)
    assert x.min() >= 0 and x.max() <= 1


@pytest.mark.parametrize("bad, message", [
    (np.zeros((20, 20), np.int16), "uint8"),
    (np.full((20, 20), 2.0), r"in \[0, 1\]"),
    (np.full((20, 20), np.nan), r"in \[0, 1\]"),
    (np.zeros((20, 20, 5), np.uint8), "1 to 4 channels"),
    (np.zeros((8, 40), np.uint8), "at least 16"),
    (torch.zeros(2, 3, 20, 20), r"\(3, H, W\) or \(1, 3, H, W\)"),
    ("chelsea.png", "PIL image, a NumPy array or a tensor"),
])
def test_bad_pictures_get_a_clear_error(bad, message):
    with pytest.raises(ValueError, match=message):
        image_tensor(bad)


def test_a_tall_thin_picture_shrunk_below_the_minimum_is_refused():
    with pytest.raises(ValueError, match="at least 16"):
        image_tensor(photo(20, 400), max_size=100)          # would become 5 x 100


def test_the_gram_matrix_ignores_where_features_are_and_the_image_size():
    torch.manual_seed(0)
    f = torch.randn(1, 4, 5, 6)
    shuffled = f.flatten(2)[:, :, torch.randperm(30)].view(1, 4, 5, 6)
    tiled = f.repeat(1, 1, 2, 3)                            # the same texture over a larger area
    assert torch.allclose(gram_matrix(f), gram_matrix(shuffled), atol=1e-5)
    assert torch.allclose(gram_matrix(f), gram_matrix(tiled), atol=1e-5)
    assert torch.allclose(gram_matrix(f), gram_matrix(f).transpose(1, 2))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        gram_matrix(torch.zeros(4, 5, 6))


def test_content_and_style_of_different_sizes_and_modes(vgg):
    content = image_tensor(np.concatenate([photo(24, 40), np.full((24, 40, 1), 255, np.uint8)], axis=2))  # RGBA
    style = image_tensor(photo(48, 48, seed=1)[..., 0])     # grey, larger, square
    out = style_transfer(content, style, vgg, steps=6)
    assert out["image"].shape == content.shape
    assert out["image"].min() >= 0 and out["image"].max() <= 1
    assert len(out["style_loss"]) == out["steps"] == 6
    assert out["style_loss"][-1] < out["style_loss"][0]


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_both_optimizers_lower_the_style_loss_and_keep_snapshots(vgg, optimizer):
    content, style = image_tensor(photo()), image_tensor(photo(seed=2))
    out = style_transfer(content, style, vgg, steps=8, optimizer=optimizer, snapshot_every=4)
    assert out["style_loss"][-1] < out["style_loss"][0]
    assert sorted(out["snapshots"]) == [4, 8]
    assert out["content_loss"][0] == 0                      # the image starts as the content photo


def test_without_style_weight_the_content_photo_is_already_optimal(vgg):
    content = image_tensor(photo())
    out = style_transfer(content, image_tensor(photo(seed=3)), vgg, steps=3, style_weight=0.0)
    assert torch.allclose(out["image"], content)


@pytest.mark.parametrize("kwargs, message", [
    ({"content": torch.zeros(3, 20, 20)}, r"content must be one RGB image of shape \(1, 3, H, W\).*image_tensor"),
    ({"style": torch.zeros(1, 1, 20, 20)}, "style must be one RGB image"),
    ({"style": torch.zeros(1, 3, 8, 20)}, "at least 16"),
    ({"content": torch.full((1, 3, 20, 20), 255.0)}, r"in \[0, 1\]"),
    ({"steps": 0}, "positive integer"),
    ({"optimizer": "sgd"}, "'lbfgs' or 'adam'"),
])
def test_bad_arguments_are_refused_before_any_work(vgg, kwargs, message):
    args = {"content": torch.rand(1, 3, 20, 20), "style": torch.rand(1, 3, 20, 20), "steps": 2, **kwargs}
    with pytest.raises(ValueError, match=message):
        style_transfer(vgg=vgg, **args)
