"""A two-layer network computed by hand with tensors, then checked against nn.Linear.

Run it: python snippets/tensor_network.py
"""

import torch
from torch import nn


def main() -> None:
    torch.manual_seed(7)
    x = torch.randn(4, 3)                       # (batch, inputs)
    W1, b1 = torch.randn(3, 2), torch.randn(2)  # inputs -> 2 hidden units
    W2, b2 = torch.randn(2, 1), torch.randn(1)  # hidden -> 1 output

    by_hand = torch.sigmoid(torch.sigmoid(x @ W1 + b1) @ W2 + b2)

    model = nn.Sequential(nn.Linear(3, 2), nn.Sigmoid(), nn.Linear(2, 1), nn.Sigmoid())
    with torch.no_grad():  # nn.Linear keeps its weight as (out, in): copy the transpose
        model[0].weight.copy_(W1.T), model[0].bias.copy_(b1)
        model[2].weight.copy_(W2.T), model[2].bias.copy_(b2)
        by_module = model(x)

    print("by hand:  ", by_hand.flatten())
    print("nn.Linear:", by_module.flatten())
    assert torch.allclose(by_hand, by_module), "the two computations disagree"
    print("same outputs")


if __name__ == "__main__":
    main()
