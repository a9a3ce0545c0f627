"""One process of benchmarks/deploy.py's training measurement: learntorch.fit under torchrun.

    python -m torch.distributed.run --standalone --nproc-per-node=2 benchmarks/ddp_worker.py OUT.json \
        --samples 12000 --epochs 2 --batch-size 32

Trains an MLP on the first SAMPLES Fashion-MNIST training images with a shuffling
TensorLoader; each process trains on its part of every epoch, DDP averaging the gradients.
Rank 0 writes OUT.json: the training seconds (the slowest rank's), samples per second, and
whether the ranks ended with identical parameters and saw disjoint parts covering the set.
"""

from __future__ import annotations

import argparse
import hashlib
import json


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="the JSON file rank 0 writes")
    parser.add_argument("--samples", type=int, default=12000, help="training images (default: 12000)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs (default: 2)")
    parser.add_argument("--batch-size", type=int, default=32, help="per process (default: 32)")
    args = parser.parse_args()

    import torch
    import torch.distributed as dist

    from learntorch import data
    from learntorch.models import MLP
    from learntorch.training import fit, init_distributed

    rank, world_size = init_distributed()
    x, y = data.as_tensors(data.fashion_mnist(train=True), *data.FASHION_MNIST_STATS)
    x, y = x[:args.samples], y[:args.samples]
    torch.manual_seed(0)
    model = MLP(784, (256, 128), 10)
    loader = data.TensorLoader(x, y, args.batch_size, shuffle=True, seed=0)
    twin = data.TensorLoader(torch.arange(len(y)), torch.arange(len(y)), args.batch_size, shuffle=True, seed=0)
    seen = torch.cat([idx for idx, _ in twin])  # this rank's part of the first epoch
    history = fit(model, loader, torch.optim.SGD(model.parameters(), lr=0.05), args.epochs, progress=False)

    seconds = torch.tensor([sum(history["seconds"])])
    digest = hashlib.sha256(b"".join(p.detach().numpy().tobytes() for p in model.parameters())).hexdigest()
    parts, digests = [seen], [digest]
    if world_size > 1:
        dist.all_reduce(seconds, op=dist.ReduceOp.MAX)  # the run is as slow as its slowest rank
        parts, digests = [None] * world_size, [None] * world_size
        dist.all_gather_object(parts, seen)
        dist.all_gather_object(digests, digest)
    if rank == 0:
        together = torch.cat(parts).tolist()
        report = {
            "processes": world_size, "samples": len(y), "epochs": args.epochs,
            "batch_size_per_process": args.batch_size, "train_seconds": round(seconds.item(), 2),
            "samples_per_second": round(args.epochs * len(y) / seconds.item()),
            "identical_parameters": len(set(digests)) == 1,
            "disjoint_cover": len(together) == len(set(together)) == len(y),
            "final_train_loss": round(history["train_loss"][-1], 4),
            "threads_per_process": torch.get_num_threads(),
        }
        with open(args.out, "w") as f:
            json.dump(report, f)
    if world_size > 1:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
