"""The three standard mlpd peer-benchmark workloads, shared by every peer script.

Each workload is a fully connected network trained by plain minibatch SGD in float32:

    small : 784-256-256-10,      batch 128, sigmoid hidden layers, sigmoid output
    wide  : 784-1024-1024-10,    batch 256, sigmoid hidden layers, sigmoid output
    large : 2048-2048-2048-2048, batch 512, relu hidden layers,    identity (linear) output

Loss everywhere (the design's base cost, ARCHITECTURE.md):

    J = (1/m) * sum_i 1/2 * ||h(x_i) - y_i||^2      (sum over outputs, mean over the batch)

Update: W <- W - lr * dJ/dW, b <- b - lr * dJ/db with lr = 0.01 (no momentum, no decay).

FLOP count per example per training step (matrix products only; biases, activations, the loss
and the update are not counted; mlpd's `bench` uses the same formula). With layer sizes
s_0 ... s_L (s_0 the input) and W_l of shape s_{l+1} x s_l:

    forward                  2 * sum_{l=0}^{L-1} s_l s_{l+1}
    weight gradients         2 * sum_{l=0}^{L-1} s_l s_{l+1}
    delta back-propagation   2 * sum_{l=1}^{L-1} s_l s_{l+1}   (no delta for the input layer)

    small: 1,211,392   wide: 9,564,160   large: 67,108,864

    GFLOP/s = examples/s * flops_per_example / 1e9

Synthetic data: a few minibatches generated once from a fixed seed with NumPy and kept in
memory (inputs uniform in [0, 1); targets one-hot for the 10-output workloads, standard
normal for `large`). Initial parameters are generated from a fixed seed too (Glorot-uniform
for sigmoid layers, He-normal for relu layers, zero biases), so every framework starts from
the same numbers. Nothing in the timed loop reads files.

This module needs only NumPy, so it loads in Debian's Python (PyTorch) and in the JAX venv.
"""
from __future__ import annotations

import dataclasses
import os
import sys

import numpy as np

LEARNING_RATE = 0.01
DTYPE = np.float32
SEED = 20240607
N_BATCHES = 4  # distinct minibatches cycled through in the timed loop


@dataclasses.dataclass(frozen=True)
class Workload:
    name: str
    layers: tuple  # s_0 (input) ... s_L (output)
    batch: int
    hidden: str  # "sigmoid" | "relu"
    output: str  # "sigmoid" | "identity"
    lr: float = LEARNING_RATE

    @property
    def activations(self) -> list:
        """Activation of each weight layer's output: hidden ones, then the output one."""
        n = len(self.layers) - 1
        return [self.hidden] * (n - 1) + [self.output]

    @property
    def flops_per_example(self) -> int:
        return flops_per_example(self.layers)

    def describe(self) -> str:
        return (f"{'-'.join(map(str, self.layers))}, batch {self.batch}, "
                f"{self.hidden} hidden, {self.output} output")


WORKLOADS = {
    w.name: w
    for w in (
        Workload("small", (784, 256, 256, 10), 128, "sigmoid", "sigmoid"),
        Workload("wide", (784, 1024, 1024, 10), 256, "sigmoid", "sigmoid"),
        Workload("large", (2048, 2048, 2048, 2048), 512, "relu", "identity"),
    )
}
ORDER = ["small", "wide", "large"]


def flops_per_example(layers) -> int:
    products = [a * b for a, b in zip(layers[:-1], layers[1:])]
    forward = 2 * sum(products)
    weight_grad = 2 * sum(products)
    delta = 2 * sum(products[1:])  # no delta for the input layer
    return forward + weight_grad + delta


def gflops(examples_per_second: float, layers) -> float:
    return examples_per_second * flops_per_example(layers) / 1e9


def init_params(layers, activations, seed: int = SEED):
    """[(W, b)] with W of shape (s_{l+1}, s_l) (PyTorch / safetensors layout), float32."""
    rng = np.random.default_rng(seed)
    params = []
    for (n_in, n_out), act in zip(zip(layers[:-1], layers[1:]), activations):
        if act == "relu":
            w = rng.standard_normal((n_out, n_in)) * np.sqrt(2.0 / n_in)
        else:
            limit = np.sqrt(6.0 / (n_in + n_out))
            w = rng.uniform(-limit, limit, (n_out, n_in))
        params.append((w.astype(DTYPE), np.zeros(n_out, DTYPE)))
    return params


def make_batches(layers, batch: int, output: str, n_batches: int = N_BATCHES,
                 seed: int = SEED + 1):
    """[(X, Y)] with X of shape (batch, s_0) and Y (batch, s_L), float32, example-major."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_batches):
        x = rng.random((batch, layers[0]), dtype=DTYPE)
        if output == "identity":
            y = rng.standard_normal((batch, layers[-1]), dtype=DTYPE)
        else:
            y = np.zeros((batch, layers[-1]), DTYPE)
            y[np.arange(batch), rng.integers(0, layers[-1], batch)] = 1.0
        out.append((x, y))
    return out


# ----------------------------------------------------------------------------------------
# Thread and core pinning shared by the peer scripts.

def first_cores(n: int) -> list:
    """The first n CPUs of the allowed set (sorted), so every framework runs on the same cores.

    PEER_CPUS (a comma-separated list of OS CPU numbers) replaces the sorted order: with
    `mlpd topology --threads N`'s worker CPUs there, a peer runs on exactly mlpd's cores
    (one per physical core before any SMT sibling), which matters on machines whose CPU
    numbers put siblings next to each other. Benchmarks/device-sweep.sh sets it."""
    allowed = sorted(os.sched_getaffinity(0))
    order = allowed
    if os.environ.get("PEER_CPUS"):
        try:
            order = [int(c) for c in os.environ["PEER_CPUS"].split(",") if c.strip()]
        except ValueError:
            raise SystemExit(f"PEER_CPUS wants comma-separated CPU numbers, got {os.environ['PEER_CPUS']!r}")
        outside = [c for c in order if c not in allowed]
        if outside or len(set(order)) != len(order):
            raise SystemExit(f"PEER_CPUS: {outside or order} not distinct CPUs of the allowed set {allowed}")
    if n < 1 or n > len(order):
        raise SystemExit(f"--threads {n}: this process may use {len(order)} CPUs {order}")
    return order[:n]


def pin(n: int) -> list:
    cores = first_cores(n)
    os.sched_setaffinity(0, cores)
    return cores


def parse_threads(text: str) -> list:
    try:
        values = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise SystemExit(f"--threads wants a comma-separated list of integers, got {text!r}")
    if not values or min(values) < 1:
        raise SystemExit(f"--threads wants positive integers, got {text!r}")
    return values


def parse_workloads(text: str) -> list:
    names = [t.strip() for t in text.split(",") if t.strip()]
    bad = [n for n in names if n not in WORKLOADS]
    if bad or not names:
        raise SystemExit(f"unknown workload(s) {bad or text!r}; choose from {', '.join(ORDER)}")
    return names


def _core_busy(cores) -> float:
    """Busy (non-idle, non-iowait) seconds of the given CPUs since boot, from /proc/stat."""
    hz = os.sysconf("SC_CLK_TCK")
    busy = 0
    with open("/proc/stat") as f:
        for line in f:
            parts = line.split()
            if parts[0].startswith("cpu") and parts[0] != "cpu" and int(parts[0][3:]) in cores:
                v = [int(x) for x in parts[1:9]]
                busy += sum(v) - v[3] - v[4]  # minus idle, iowait
    return busy / hz


class Interference:
    """How much of our cores' time went to OTHER processes during a timed region:
    (busy time of the pinned CPUs - this process's CPU time) / (wall time x CPUs).
    Resolution is the kernel tick (10 ms): rough for short regions, None (unknown) for
    regions under 0.1 s of CPU capacity; clamped to [0, 1]."""

    def __init__(self, cores):
        self.cores = set(cores)

    def start(self):
        t = os.times()
        self._t0 = (_core_busy(self.cores), t.user + t.system)

    def share(self, wall: float) -> float:
        t = os.times()
        busy = _core_busy(self.cores) - self._t0[0]
        ours = t.user + t.system - self._t0[1]
        capacity = wall * len(self.cores)
        if capacity < 0.1:
            return None
        return min(1.0, max(0.0, (busy - ours) / capacity))


def summarize(times: list, batch: int, steps: int, foreign=None) -> dict:
    """Per-repeat wall times of `steps` steps -> examples/s from the median (and the best)."""
    med = float(np.median(times))
    out = {
        "examples_per_second": batch * steps / med,
        "examples_per_second_best": batch * steps / min(times),
        "repeat_seconds": [round(t, 6) for t in times],
    }
    if foreign is not None:
        out["foreign_cpu_share"] = [None if x is None else round(x, 3) for x in foreign]
    return out


def load_info() -> dict:
    one, five, fifteen = os.getloadavg()
    return {"loadavg_1m": round(one, 2), "loadavg_5m": round(five, 2)}


if __name__ == "__main__":
    for name in ORDER:
        w = WORKLOADS[name]
        print(f"{name:6s} {w.describe():55s} {w.flops_per_example:>12,d} FLOP/example",
              file=sys.stdout)
