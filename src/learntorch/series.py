"""A recurrent network that predicts next year's sunspots, and the baseline it must beat.

The yearly sunspot numbers 1700-2008 ship with ``statsmodels`` (install the ``sequences``
extra). :func:`train_series_rnn` is the loop of the time-series lesson in one call: an
``nn.RNN`` trained on windows of the years before ``test_from``, then asked for each later
year given the ``steps`` years before it. The baseline predicts that next year repeats this
year (the *last value*).
"""

from __future__ import annotations

import time

import torch
from torch import nn

SUNSPOTS_RECIPE = {
    "hidden": 32,        # size of the RNN's hidden state
    "steps": 20,         # years per training window (about two 11-year cycles)
    "test_from": 1950,   # years from here on are held out
    "iterations": 200,   # full-batch Adam steps
    "lr": 0.01,
    "clip": 1.0,         # gradient-norm clipping
    "seed": 0,
}


def sunspots() -> tuple[torch.Tensor, torch.Tensor]:
    """The years 1700-2008 and each year's sunspot number, as two tensors of 309 values.

    Examples:
        >>> years, counts = sunspots()
        >>> int(years[0]), int(years[-1]), counts.dtype
        (1700, 2008, torch.float32)
    """
    try:
        from statsmodels.datasets import sunspots as dataset
    except ImportError:
        raise ImportError("the sunspot series comes with statsmodels: pip install 'learntorch[sequences]'") from None
    frame = dataset.load_pandas().data
    return (torch.tensor(frame["YEAR"].to_numpy(), dtype=torch.long),
            torch.tensor(frame["SUNACTIVITY"].to_numpy(), dtype=torch.float32))


def series_windows(series: torch.Tensor, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Every window of ``steps`` consecutive values, and the same window one value later.

    Returns ``(x, y)`` of shape ``(N, steps, 1)`` with ``N = len(series) - steps``: the
    target at each step is the value that follows it.

    Examples:
        >>> x, y = series_windows(torch.arange(5.0), steps=3)
        >>> x[:, :, 0].tolist(), y[:, :, 0].tolist()
        ([[0.0, 1.0, 2.0], [1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0], [2.0, 3.0, 4.0]])
    """
    if series.dim() != 1:
        raise ValueError(f"series_windows expects a 1-D series, got shape {tuple(series.shape)}")
    if not isinstance(steps, int) or not 1 <= steps < len(series):
        raise ValueError(f"steps must be an integer from 1 to {len(series) - 1} for a series of "
                         f"{len(series)} values, got {steps!r}")
    index = torch.arange(len(series) - steps)[:, None] + torch.arange(steps + 1)  # (N, steps + 1)
    windows = series[index]
    return windows[:, :-1, None], windows[:, 1:, None]


class SeriesRNN(nn.Module):
    """``nn.RNN`` then ``nn.Linear``: at each step, a prediction of the next value.

    Examples:
        >>> out, h = SeriesRNN(hidden=8)(torch.zeros(2, 5, 1))
        >>> out.shape, h.shape
        (torch.Size([2, 5, 1]), torch.Size([1, 2, 8]))
    """

    def __init__(self, hidden: int = 32):
        super().__init__()
        self.rnn = nn.RNN(1, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor, hidden=None):
        out, hidden = self.rnn(x, hidden)   # (B, T, 1) -> (B, T, H)
        return self.fc(out), hidden         # (B, T, 1)


def train_series_rnn(recipe: dict = SUNSPOTS_RECIPE):
    """Train a :class:`SeriesRNN` on the sunspots before ``recipe["test_from"]``; score the years after.

    Returns ``(model, record)``. ``record`` holds the mean absolute error (in sunspots) of
    the RNN and of the last-value baseline on the held-out years, the RNN's error on the
    training years, its predictions, the loss curve and the seconds it took.

    Examples:
        >>> _, record = train_series_rnn({**SUNSPOTS_RECIPE, "iterations": 5})
        >>> sorted(record)[:4], record["test_years"][0]
        (['baseline_mae', 'cpu_seconds', 'losses', 'predictions'], 1950)
    """
    start = time.process_time()
    years, counts = sunspots()
    split = int((years < recipe["test_from"]).sum())
    mean, std = counts[:split].mean(), counts[:split].std()
    z = (counts - mean) / std                         # standardised with training statistics only
    x, y = series_windows(z[:split], recipe["steps"])
    torch.manual_seed(recipe["seed"])
    model = SeriesRNN(recipe["hidden"])
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe["lr"])
    losses = []
    for _ in range(recipe["iterations"]):
        loss = nn.functional.mse_loss(model(x)[0], y)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), recipe["clip"])
        optimizer.step()
        losses.append(loss.item())
    predictions = predict_next(model, z, recipe["steps"], split) * std + mean
    train_pred = predict_next(model, z, recipe["steps"], recipe["steps"], split) * std + mean
    record = {
        "test_years": years[split:].tolist(),
        "predictions": predictions.tolist(),
        "rnn_mae": (predictions - counts[split:]).abs().mean().item(),
        "baseline_mae": (counts[split - 1:-1] - counts[split:]).abs().mean().item(),
        "train_mae": (train_pred - counts[recipe["steps"]:split]).abs().mean().item(),
        "losses": losses,
        "cpu_seconds": time.process_time() - start,
    }
    return model.eval(), record


@torch.no_grad()
def predict_next(model: nn.Module, series: torch.Tensor, steps: int, first: int, stop: int | None = None):
    """The model's prediction of ``series[i]`` from the ``steps`` values before it, for ``first <= i < stop``.

    Examples:
        >>> predict_next(SeriesRNN(4), torch.zeros(30), steps=5, first=10, stop=12).shape
        torch.Size([2])
    """
    stop = len(series) if stop is None else stop
    if not steps <= first < stop <= len(series):
        raise ValueError(f"need steps <= first < stop <= len(series), got {steps}, {first}, {stop}, {len(series)}")
    index = torch.arange(first, stop)[:, None] - steps + torch.arange(steps)  # the window before each i
    out, _ = model.eval()(series[index].unsqueeze(2))
    return out[:, -1, 0]
