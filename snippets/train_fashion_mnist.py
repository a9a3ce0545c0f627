"""Train an MLP on Fashion-MNIST in plain PyTorch: data -> model -> train() -> test() -> main().

Run it:  python snippets/train_fashion_mnist.py --epochs 3
         python snippets/train_fashion_mnist.py --dry-run      (a few batches, for a quick check)

Only the loading comes from learntorch (learntorch.data finds the dataset offline); the
model, the loop and the evaluation are the standard PyTorch ones. Needs learntorch installed:
the "Run it yourself" box of any lesson page gives the pip command.
"""
# test-args: --dry-run

import argparse

import torch
from torch import nn
from torchvision import transforms

from learntorch.data import FASHION_MNIST_STATS, fashion_mnist


class Net(nn.Module):
    """784 -> 256 -> 128 -> 64 -> 10 with ReLU and dropout: the course's classifier."""

    def __init__(self, dropout=0.2):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Flatten(),                       # (B, 1, 28, 28) -> (B, 784)
            nn.Linear(784, 256), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(256, 128), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(128, 64), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(64, 10),                  # logits: CrossEntropyLoss applies log-softmax
        )

    def forward(self, x):
        return self.layers(x)


def train(args, model, device, train_loader, optimizer, epoch):
    model.train()  # dropout on
    loss_fn = nn.CrossEntropyLoss()
    for batch_idx, (images, labels) in enumerate(train_loader):
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(images), labels)
        loss.backward()
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            print(f"epoch {epoch} [{batch_idx * len(images):>5}/{len(train_loader.dataset)}] "
                  f"loss {loss.item():.4f}")
        if args.dry_run and batch_idx + 1 == args.dry_run_batches:
            break


def test(model, device, test_loader):
    model.eval()  # dropout off
    loss_fn = nn.CrossEntropyLoss(reduction="sum")
    total_loss, correct = 0.0, 0
    with torch.no_grad():  # no graph needed to evaluate
        for images, labels in test_loader:
            images, labels = images.to(device), labels.to(device)
            logits = model(images)
            total_loss += loss_fn(logits, labels).item()
            correct += (logits.argmax(dim=1) == labels).sum().item()
    n = len(test_loader.dataset)
    print(f"test: average loss {total_loss / n:.4f}, accuracy {correct}/{n} ({100 * correct / n:.1f} %)")
    return correct / n


def main():
    parser = argparse.ArgumentParser(description="Fashion-MNIST MLP in plain PyTorch")
    parser.add_argument("--batch-size", type=int, default=64, help="training batch size (default: 64)")
    parser.add_argument("--test-batch-size", type=int, default=1000, help="test batch size (default: 1000)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs to train (default: 3)")
    parser.add_argument("--lr", type=float, default=0.003, help="Adam learning rate (default: 0.003)")
    parser.add_argument("--no-accel", action="store_true",
                        help="train on the CPU even with a GPU or other accelerator (default: off)")
    parser.add_argument("--dry-run", action="store_true",
                        help="one epoch of a few batches and a small test set, to check the setup (default: off)")
    parser.add_argument("--dry-run-batches", type=int, default=5, help="batches with --dry-run (default: 5)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    parser.add_argument("--log-interval", type=int, default=200, help="batches between log lines (default: 200)")
    parser.add_argument("--save-model", action="store_true", help="save the weights to fashion_mnist_mlp.pt (default: off)")
    args = parser.parse_args()

    torch.manual_seed(args.seed)  # before anything random: weights, shuffling, dropout
    use_accel = torch.accelerator.is_available() and not args.no_accel  # CUDA, MPS, XPU, ...
    device = torch.accelerator.current_accelerator() if use_accel else torch.device("cpu")

    mean, std = FASHION_MNIST_STATS
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((mean,), (std,))])
    train_set = fashion_mnist(train=True, transform=transform)
    test_set = fashion_mnist(train=False, transform=transform)
    if args.dry_run:  # a slice of the test set keeps the check fast
        test_set = torch.utils.data.Subset(test_set, range(args.test_batch_size))
    print(f"data: {train_set.source}; device: {device}")
    train_loader = torch.utils.data.DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    test_loader = torch.utils.data.DataLoader(test_set, batch_size=args.test_batch_size)

    model = Net().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    for epoch in range(1, (1 if args.dry_run else args.epochs) + 1):
        train(args, model, device, train_loader, optimizer, epoch)
        test(model, device, test_loader)

    if args.save_model:
        torch.save(model.state_dict(), "fashion_mnist_mlp.pt")


if __name__ == "__main__":
    main()
