"""learntorch.plots: each function returns a Figure of the right make-up, and rejects bad input."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from learntorch import plots  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")
    assert plt.get_fignums() == []


def test_view_classify_draws_image_and_bars():
    fig = plots.view_classify(torch.rand(1, 28, 28), torch.tensor([0.7, 0.2, 0.1]), ["a", "b", "c"])
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    bars = fig.axes[1].patches
    assert [round(b.get_width(), 2) for b in bars] == [0.7, 0.2, 0.1]
    assert [t.get_text() for t in fig.axes[1].get_yticklabels()] == ["a", "b", "c"]


def test_view_classify_accepts_a_flat_image():
    fig = plots.view_classify(torch.rand(784), torch.softmax(torch.randn(10), 0))
    assert fig.axes[0].images[0].get_array().shape == (28, 28)


def test_view_classify_names_must_match_probabilities():
    with pytest.raises(ValueError, match="got 3 probabilities but 2 class names"):
        plots.view_classify(torch.rand(28, 28), torch.ones(3) / 3, ["a", "b"])


def test_view_classify_rejects_a_bad_image_shape():
    with pytest.raises(ValueError, match=r"expected an image of shape .*got \(5,\)"):
        plots.view_classify(torch.rand(5), torch.ones(2) / 2)


def test_image_grid_titles_use_class_names():
    fig = plots.image_grid(torch.rand(5, 1, 28, 28), torch.tensor([0, 1, 0, 1, 1]), ["cat", "dog"], ncols=3)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["cat", "dog", "cat", "dog", "dog"]
    assert len(fig.axes) == 6  # 2 rows x 3 columns, the last one blank


def test_image_grid_needs_images():
    with pytest.raises(ValueError, match="image_grid got no images"):
        plots.image_grid(torch.empty(0, 1, 28, 28))


def test_plot_history_draws_training_and_validation():
    history = {"train_accuracy": [0.5, 0.7, 0.8], "val_accuracy": [0.5, 0.6, 0.65], "best_epoch": 1}
    fig = plots.plot_history(history, "accuracy")
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["training", "validation", "best epoch"]
    assert list(ax.lines[0].get_ydata()) == [0.5, 0.7, 0.8]
    assert ax.get_ylabel() == "accuracy"


def test_plot_history_bad_metric():
    with pytest.raises(ValueError, match="metric must be 'loss' or 'accuracy', got 'f1'"):
        plots.plot_history({"train_loss": [1.0]}, "f1")


def test_plot_history_empty():
    with pytest.raises(ValueError, match="history has no train_loss values"):
        plots.plot_history({})


def test_confusion_matrix_counts_pairs():
    m = plots.confusion_matrix(torch.tensor([0, 0, 1, 2, 2, 2]), torch.tensor([0, 1, 1, 2, 2, 0]), 3)
    assert m.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert m.sum() == 6


def test_confusion_matrix_length_mismatch():
    with pytest.raises(ValueError, match="differ in length: 3 vs 2"):
        plots.confusion_matrix(torch.tensor([0, 1, 1]), torch.tensor([0, 1]), 2)


def test_plot_confusion_matrix_writes_counts():
    fig = plots.plot_confusion_matrix(torch.tensor([[5, 1], [2, 7]]), ["cat", "dog"])
    assert sorted(t.get_text() for t in fig.axes[0].texts) == ["1", "2", "5", "7"]


@pytest.mark.parametrize("targets, predictions, message", [
    ([0, 5], [0, 1], r"targets must be class indices in 0\.\.1, got values from 0 to 5"),
    ([0, 1], [-1, 1], r"predictions must be class indices in 0\.\.1, got values from -1 to 1"),
])
def test_confusion_matrix_labels_out_of_range(targets, predictions, message):
    # Before the check, an out-of-range label fell into another cell's bin or failed in view().
    with pytest.raises(ValueError, match=message):
        plots.confusion_matrix(torch.tensor(targets), torch.tensor(predictions), 2)
