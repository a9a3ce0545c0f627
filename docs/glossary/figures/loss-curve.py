"""Training and validation loss of a small network that can memorise its training set.

Real training, seeded: a 2-32-32-2 MLP, full-batch Adam, on 100 points of a noisy XOR-like
pattern, judged on 400 more. The validation loss falls, bottoms out, then climbs while the
training loss keeps falling: overfitting, and the epoch early stopping would keep.
"""

import torch
from matplotlib.figure import Figure
from torch import nn


def history(epochs: int = 250):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(500, 2, generator=g)
    y = (x[:, 0] * x[:, 1] > 0).long()
    flip = torch.rand(500, generator=g) < 0.15
    y[flip] = 1 - y[flip]                        # 15 % noisy labels: something to memorise
    x_train, y_train, x_val, y_val = x[:100], y[:100], x[100:], y[100:]
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 2))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.005)
    train_loss, val_loss = [], []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x_train), y_train)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            train_loss.append(loss.item())
            val_loss.append(nn.functional.cross_entropy(model(x_val), y_val).item())
    return train_loss, val_loss


def draw() -> Figure:
    train_loss, val_loss = history()
    best = min(range(len(val_loss)), key=val_loss.__getitem__)
    fig = Figure(figsize=(6.4, 3.4))
    ax = fig.subplots()
    epochs = range(1, len(train_loss) + 1)
    ax.plot(epochs, train_loss, color="#1565c0", linewidth=2, label="training loss")
    ax.plot(epochs, val_loss, color="#d84315", linewidth=2, label="validation loss")
    ax.axvline(best + 1, color="grey", linestyle=":", linewidth=1)
    ax.annotate(f"lowest validation loss\n(epoch {best + 1})", (best + 1, val_loss[best]),
                xytext=(best + 10, val_loss[best] + 0.45), fontsize=9, arrowprops={"arrowstyle": "->"})
    ax.set(xlabel="epoch", ylabel="cross-entropy loss", ylim=(0, max(val_loss) * 1.05),
           title="A loss curve: training keeps improving, validation turns up")
    ax.legend(loc="center right", fontsize=9)
    fig.tight_layout()
    return fig
