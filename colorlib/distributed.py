"""Where training runs: the device, the torchrun process group, the sharded sampler and sums over ranks.

The global batch is ``batch_size``; each of ``N`` ranks takes ``batch_size / N`` samples of the same sampler
order, so one step sees the same samples as a single process. With CUDA, BatchNorm layers become
SyncBatchNorm and the step is the same up to float summation order. On CPU (gloo) SyncBatchNorm does not
exist: BatchNorm normalises with per-replica batch statistics, so losses differ from a single-process run by
a few per cent at tiny batches. Only rank 0 writes. Single-process runs use the same code with one rank.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Mapping

import torch
import torch.distributed as dist

from colorlib.config import ConfigError


@dataclass
class Dist:
    """This process's place in the process group (rank 0 of 1 without torchrun)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    owns_group: bool = False

    @property
    def main(self) -> bool:
        return self.rank == 0

    def barrier(self):
        if self.world > 1:
            dist.barrier()

    def all_sum(self, t: torch.Tensor) -> torch.Tensor:
        if self.world > 1:
            dist.all_reduce(t, op=dist.ReduceOp.SUM)
        return t

    def broadcast_buffers(self, *modules) -> None:
        """Make every replica hold rank 0's buffers (BatchNorm running statistics): each replica updated its
        own in its last forward, and DDP's semantics are rank 0's."""
        if self.world > 1:
            for module in modules:
                if module is not None:
                    for buf in module.buffers():
                        dist.broadcast(buf, 0)


def init_distributed(device_pref: str) -> Dist:
    """Join the process group torchrun describes in the environment (no-op for a single process)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Dist()
    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if dist.is_initialized():
        return Dist(dist.get_rank(), dist.get_world_size(), local, False)
    use_cuda = torch.cuda.is_available() and device_pref in ("auto", "cuda") or device_pref.startswith("cuda")
    if use_cuda:
        torch.cuda.set_device(local)
    dist.init_process_group("nccl" if use_cuda else "gloo")
    if "OMP_NUM_THREADS" not in os.environ:  # torchrun sets it; elsewhere, split the cores between ranks
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // int(os.environ.get("LOCAL_WORLD_SIZE", world))))
    return Dist(rank, world, local, True)


def resolve_device(pref: str, local_rank: int = 0) -> torch.device:
    """"auto" -> CUDA (this rank's GPU), else MPS, else CPU; explicit names are checked."""
    if pref == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", local_rank)
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if pref.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError(f"device {pref!r} requested but CUDA is not available")
        return torch.device("cuda", local_rank) if pref == "cuda" else torch.device(pref)
    if pref == "mps" and not torch.backends.mps.is_available():
        raise ConfigError("device 'mps' requested but MPS is not available")
    return torch.device(pref)


class SkipSampler(torch.utils.data.Sampler):
    """A ``DistributedSampler`` whose first ``skip`` indices of the epoch are left out (resume mid-epoch)."""

    def __init__(self, sampler):
        self.sampler, self.skip = sampler, 0

    def set_epoch(self, epoch: int, skip: int = 0) -> None:
        self.sampler.set_epoch(epoch)
        self.skip = skip

    def __iter__(self):
        it = iter(self.sampler)
        for _ in range(self.skip):
            next(it)
        yield from it

    def __len__(self):
        return len(self.sampler) - self.skip


class EpochSums:
    """Sums over an epoch: loss terms (per batch) and latent moments (per sample), reducible over ranks and
    saved in mid-epoch checkpoints so a resumed epoch reports the same numbers."""

    def __init__(self, latent_dim: int | None):
        self.dim = latent_dim
        self.reset()

    def reset(self):
        self.terms: dict[str, float] = {}
        self.batches = 0
        d = self.dim or 0
        self.z_sum = torch.zeros(d, dtype=torch.float64)
        self.z_sq = torch.zeros(d, dtype=torch.float64)
        self.z_n = 0

    def add(self, terms: Mapping[str, float], latent: torch.Tensor | None, weight: int = 1):
        for k, v in terms.items():
            self.terms[k] = self.terms.get(k, 0.0) + float(v) * weight
        self.batches += weight
        if latent is not None and self.dim:
            z = latent.detach().to("cpu", torch.float64)
            self.z_sum += z.sum(0)
            self.z_sq += (z * z).sum(0)
            self.z_n += z.shape[0]

    def running(self) -> dict[str, float]:
        return {k: v / max(self.batches, 1) for k, v in self.terms.items()}

    def tensors(self) -> dict[str, torch.Tensor]:
        return {"accum.z_sum": self.z_sum, "accum.z_sq": self.z_sq}

    def state(self) -> dict:
        return {"terms": self.terms, "batches": self.batches, "z_n": self.z_n}

    def load(self, tensors, state):
        self.terms = dict(state["terms"])
        self.batches = int(state["batches"])
        self.z_n = int(state["z_n"])
        if self.dim:
            self.z_sum = tensors["accum.z_sum"].to(torch.float64).clone()
            self.z_sq = tensors["accum.z_sq"].to(torch.float64).clone()

    def summed(self, d: Dist, keys: list[str]) -> "EpochSums":
        """A copy holding the sums over all ranks (itself when there is one rank)."""
        if d.world == 1:
            return self
        out = EpochSums(self.dim)
        vec = d.all_sum(torch.tensor([self.terms.get(k, 0.0) for k in keys] + [self.batches, self.z_n],
                                     dtype=torch.float64))
        out.terms = {k: vec[i].item() for i, k in enumerate(keys)}
        out.batches, out.z_n = int(vec[-2].item()), int(vec[-1].item())
        if self.dim:
            out.z_sum, out.z_sq = d.all_sum(self.z_sum.clone()), d.all_sum(self.z_sq.clone())
        return out

    def reduce(self, d: Dist, prefix: str, keys: list[str]) -> dict[str, float]:
        """Epoch means over all ranks (terms: mean over batches; latents: same definitions as
        ``metrics.latent_stats``: mean/std over all entries, dead = per-unit std < 1e-6)."""
        # ``keys`` is the same on every rank (a rank may have seen no batch, e.g. of a tiny validation set).
        total = self.summed(d, keys)
        out = {f"{prefix}{k}": total.terms.get(k, 0.0) / max(total.batches, 1) for k in keys}
        n = total.z_n
        if self.dim and n > 0:
            s, q = total.z_sum, total.z_sq
            mean_u = s / n
            spread = (q / n - mean_u**2).clamp_min(0).sqrt()
            mean = s.sum().item() / (n * self.dim)
            var = q.sum().item() / (n * self.dim) - mean**2
            out.update({"latent_mean": mean, "latent_std": math.sqrt(max(var, 0.0)),
                        "latent_spread_mean": spread.mean().item(),
                        "latent_dead_frac": (spread < 1e-6).double().mean().item()})
        return out
