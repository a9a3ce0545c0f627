"""One worker of tests/test_distributed.py: ``learntorch.fit`` unchanged, under ``torchrun``.

    python -m torch.distributed.run --standalone --nproc-per-node=2 tests/ddp_fit_worker.py OUT_DIR

Each rank trains the same small MLP on synthetic data with ``fit`` and a shuffling
``TensorLoader``, then writes what the test checks to ``OUT_DIR/rank<r>.pt``: its final
parameters, its history, and the sample indices its loader gave it in each epoch.
"""

import sys
from pathlib import Path

EPOCHS = 3
SAMPLES = 3000  # 3,000 / (2 ranks x 8 per batch) = 188 steps per epoch, 564 in all
BATCH = 8


def main(out: Path) -> None:
    import torch

    from learntorch import checkpoints
    from learntorch.data import TensorLoader
    from learntorch.models import MLP
    from learntorch.training import fit, init_distributed

    rank, world_size = init_distributed()
    g = torch.Generator().manual_seed(0)  # the same data on every rank
    y = torch.arange(SAMPLES) % 4
    x = torch.randn(SAMPLES, 8, generator=g) + torch.nn.functional.one_hot(y, 8).float() * 2

    # Different seeds per rank: DDP must still start every rank from rank 0's weights.
    torch.manual_seed(100 + rank)
    model = MLP(8, (16,), 4)
    loader = TensorLoader(x, y, BATCH, shuffle=True, seed=0)
    # A twin loader over the indices themselves, with the same seed: it draws the same
    # orders as `loader`, so it shows which samples this rank trained on in each epoch.
    twin = TensorLoader(torch.arange(SAMPLES), torch.arange(SAMPLES), BATCH, shuffle=True, seed=0)
    seen = [torch.cat([idx for idx, _ in twin]) for _ in range(EPOCHS)]
    history = fit(model, loader, torch.optim.SGD(model.parameters(), lr=0.05), EPOCHS, progress=False)

    checkpoints.save(model, out / "model.pt")                  # every rank calls it ...
    checkpoints.save(model, out / f"written-by-rank{rank}.pt")  # ... only rank 0 writes
    torch.save({"rank": rank, "world_size": world_size, "state_dict": model.state_dict(),
                "history": {k: history[k] for k in ("train_loss", "train_accuracy")},
                "seen": seen, "batches_per_epoch": len(loader)}, out / f"rank{rank}.pt")
    torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
