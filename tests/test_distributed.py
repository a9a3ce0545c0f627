"""Training on several processes: the data shards, and learntorch.fit under torchrun.

The unit tests pretend to be rank r of W by replacing ``rank_and_world_size`` (a real
process group needs as many processes as ranks). The slow test launches two real
processes with torchrun (gloo on the CPU) and checks what they wrote.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from learntorch import checkpoints
from learntorch.data import TensorLoader, loaders, shard_indices
from learntorch.training import distribute, init_distributed, sum_over_ranks

WORKER = Path(__file__).with_name("ddp_fit_worker.py")


@pytest.mark.parametrize("n, world_size", [(10, 2), (11, 2), (7, 3), (2, 4)])
def test_shards_are_equal_sized_and_cover_every_index(n, world_size):
    order = torch.randperm(n, generator=torch.Generator().manual_seed(n))
    parts = [shard_indices(order, rank, world_size) for rank in range(world_size)]
    assert len({len(p) for p in parts}) == 1  # the same number of steps on every rank
    together = torch.cat(parts)
    assert set(together.tolist()) == set(range(n))
    assert len(together) - n == (-n) % world_size  # only the padding repeats an index
    if n % world_size == 0:
        assert len(set(together.tolist())) == len(together)  # disjoint


def test_shard_rejects_a_rank_outside_the_world():
    with pytest.raises(ValueError, match=r"rank must be in \[0, 2\), got 2"):
        shard_indices(torch.arange(4), 2, 2)


def as_rank(monkeypatch, rank, world_size):
    monkeypatch.setattr(loaders, "rank_and_world_size", lambda: (rank, world_size))


def epochs_seen(loader, epochs=3):
    return [torch.cat([yb for _, yb in loader]) for _ in range(epochs)]


def test_a_shuffling_loader_gives_each_rank_its_part_of_every_epoch(monkeypatch):
    x = torch.arange(100)
    per_rank = []
    for rank in range(2):
        as_rank(monkeypatch, rank, 2)
        loader = TensorLoader(x.float(), x, batch_size=8, shuffle=True, seed=5)
        assert len(loader) == 7  # 50 samples in batches of 8
        per_rank.append(epochs_seen(loader))
    for first, second in zip(*per_rank):
        assert len(first) == len(second) == 50
        assert set(first.tolist()).isdisjoint(second.tolist())
        assert set(first.tolist()) | set(second.tolist()) == set(range(100))
    assert not torch.equal(per_rank[0][0], per_rank[0][1])  # a new order every epoch


def test_the_union_of_the_shards_is_the_single_process_order(monkeypatch):
    x = torch.arange(64)
    single = epochs_seen(TensorLoader(x.float(), x, batch_size=8, shuffle=True, seed=1), 1)[0]
    as_rank(monkeypatch, 0, 2)
    rank0 = epochs_seen(TensorLoader(x.float(), x, batch_size=8, shuffle=True, seed=1), 1)[0]
    assert torch.equal(rank0, single[0::2])  # the same permutation, every other position


def test_a_loader_that_does_not_shuffle_gives_every_rank_everything(monkeypatch):
    as_rank(monkeypatch, 1, 2)
    x = torch.arange(10)
    loader = TensorLoader(x.float(), x, batch_size=4)
    assert len(loader) == 3 and torch.equal(epochs_seen(loader, 1)[0], x)


def test_shuffling_across_processes_needs_a_seed(monkeypatch):
    as_rank(monkeypatch, 0, 2)
    loader = TensorLoader(torch.zeros(4), torch.zeros(4), batch_size=2, shuffle=True)
    with pytest.raises(ValueError, match="needs seed=..., so every process draws the same order"):
        next(iter(loader))


def test_outside_torchrun_nothing_is_distributed(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert init_distributed() == (0, 1)
    model = nn.Linear(2, 2)
    assert distribute(model, "cpu") is model
    assert sum_over_ranks(1.5, 3) == (1.5, 3)


@pytest.mark.slow  # two processes, each importing torch and training for a few hundred steps
def test_fit_under_torchrun_keeps_the_ranks_identical(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2",
         str(WORKER), str(tmp_path)], capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in range(2)]
    assert [r["rank"] for r in ranks] == [0, 1] and ranks[0]["world_size"] == 2

    # Started from different seeds, trained on different data: DDP made them one model.
    first, second = (r["state_dict"] for r in ranks)
    assert all(torch.equal(first[name], second[name]) for name in first)
    assert ranks[0]["history"] == ranks[1]["history"]  # summed over both ranks
    assert ranks[0]["history"]["train_loss"][-1] < ranks[0]["history"]["train_loss"][0]
    assert ranks[0]["history"]["train_accuracy"][-1] > 0.7  # four well-separated classes

    steps = sum(r["batches_per_epoch"] for r in ranks) / 2 * len(ranks[0]["seen"])
    assert steps >= 300  # "a few hundred steps"
    for epoch, (mine, theirs) in enumerate(zip(ranks[0]["seen"], ranks[1]["seen"])):
        assert set(mine.tolist()).isdisjoint(theirs.tolist()), f"epoch {epoch}: shards overlap"
        assert len(set(mine.tolist()) | set(theirs.tolist())) == 3000, f"epoch {epoch}: samples missed"
    assert not torch.equal(ranks[0]["seen"][0], ranks[0]["seen"][1])  # reshuffled each epoch

    # Both ranks called checkpoints.save; only rank 0 wrote, and it wrote the trained weights.
    assert (tmp_path / "written-by-rank0.pt").exists()
    assert not (tmp_path / "written-by-rank1.pt").exists()
    saved = checkpoints.read(tmp_path / "model.pt")["state_dict"]
    assert all(torch.equal(saved[name], first[name]) for name in first)
