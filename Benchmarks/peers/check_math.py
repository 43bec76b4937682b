#!/usr/bin/env python3
"""Checks that each peer script's timed training step is the design's math.

For a few networks (4-3-2 and 4-3-3-2 with sigmoid/sigmoid and relu/identity, and the real
`small` workload), two SGD steps on two different minibatches are taken by
  - torch_bench's autograd step and its hand-written step (Debian's /usr/bin/python3), and
  - jax_bench's jitted, donated step (the .venv-jax Python),
from the same float32 parameters (random biases too), and compared with an independent
float64 NumPy implementation of the equations (feature-major, as in ARCHITECTURE.md):

    Z^(l+1) = W^(l) A^(l) + b^(l) 1^T,  A^(l+1) = f(Z^(l+1))
    D^(L) = -(Y - A^(L)) * f'(Z^(L));  D^(l) = (W^(l)^T D^(l+1)) * f'(Z^(l))
    dW^(l) = (1/m) D^(l+1) A^(l)^T;  db^(l) = (1/m) D^(l+1) 1;  W <- W - lr dW, b <- b - lr db

What is compared is the parameter change (p_after - p_before), per tensor, relative to the
largest change of the reference: at lr = 1 (so float32 rounding of p hides nothing) with
tolerance 1e-4, and at the benchmarks' lr = 0.01 with tolerance 2e-3 (there the change is
~1e-3 of p, so float32 rounding of p alone is ~1e-4 of it).

    python3 Benchmarks/peers/check_math.py            # both frameworks, each in its Python
    /usr/bin/python3 Benchmarks/peers/check_math.py --framework torch
    Benchmarks/peers/.venv-jax/bin/python Benchmarks/peers/check_math.py --framework jax
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import workloads as wl  # noqa: E402

TORCH_PYTHON = "/usr/bin/python3"
JAX_PYTHON = os.path.join(HERE, ".venv-jax", "bin", "python")

CASES = [  # name, layers, activations, batch
    ("4-3-2 sigmoid/sigmoid", (4, 3, 2), ["sigmoid", "sigmoid"], 5),
    ("4-3-2 relu/identity", (4, 3, 2), ["relu", "identity"], 5),
    ("4-3-3-2 sigmoid", (4, 3, 3, 2), ["sigmoid", "sigmoid", "sigmoid"], 6),
    ("4-3-3-2 relu/identity", (4, 3, 3, 2), ["relu", "relu", "identity"], 6),
    ("small workload", wl.WORKLOADS["small"].layers, wl.WORKLOADS["small"].activations, 128),
]
TOLERANCE = {1.0: 1e-4, wl.LEARNING_RATE: 2e-3}


def f(name, z):
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "relu":
        return np.maximum(z, 0.0)
    return z


def fprime(name, z):
    if name == "sigmoid":
        s = 1.0 / (1.0 + np.exp(-z))
        return s * (1.0 - s)
    if name == "relu":
        return (z > 0).astype(np.float64)
    return np.ones_like(z)


def reference_step(params, activations, x, y, lr):
    """float64, feature-major (columns are examples). params: [(W (out,in), b)]."""
    m = x.shape[0]
    A = [x.T.astype(np.float64)]
    Z = [None]
    for (w, b), act in zip(params, activations):
        z = w.astype(np.float64) @ A[-1] + b.astype(np.float64)[:, None]
        Z.append(z)
        A.append(f(act, z))
    L = len(params)
    Y = y.T.astype(np.float64)
    D = [None] * (L + 1)
    D[L] = -(Y - A[L]) * fprime(activations[L - 1], Z[L])                     # (10)
    for l in range(L - 1, 0, -1):
        D[l] = (params[l][0].astype(np.float64).T @ D[l + 1]) * fprime(activations[l - 1], Z[l])  # (11)
    new = []
    for l, (w, b) in enumerate(params):
        dW = D[l + 1] @ A[l].T / m                                               # (12)
        db = D[l + 1].sum(axis=1) / m                                            # (13)
        new.append((w.astype(np.float64) - lr * dW, b.astype(np.float64) - lr * db))
    loss = 0.5 * np.sum((A[L] - Y) ** 2) / m
    return new, loss


def case_data(layers, activations, batch, seed):
    params = wl.init_params(layers, activations, seed=seed)
    rng = np.random.default_rng(seed + 7)
    params = [(w, (0.1 * rng.standard_normal(b.shape)).astype(np.float32)) for w, b in params]
    output = "identity" if activations[-1] == "identity" else "sigmoid"
    batches = wl.make_batches(layers, batch, output, n_batches=2, seed=seed + 11)
    if output == "identity":  # inputs centred so that relu units are on both sides of 0
        batches = [(x - np.float32(0.5), y) for x, y in batches]
    return params, batches


def check(framework: str) -> bool:
    if framework == "torch":
        import torch
        import torch_bench as tb
        makers = {"pytorch-autograd": tb.make_autograd_step, "pytorch-manual": tb.make_manual_step}
        to_fw = torch.from_numpy
        version = f"torch {torch.__version__}"
    else:
        import jax.numpy as jnp
        import jax
        import jax_bench as jb
        makers = {"jax": jb.make_step}
        to_fw = jnp.asarray
        version = f"jax {jax.__version__}"
    print(f"# {version} ({sys.executable})")
    ok = True
    for i, (name, layers, acts, batch) in enumerate(CASES):
        params, batches = case_data(layers, acts, batch, seed=100 + i)
        for lr, tol in TOLERANCE.items():
            ref = [(w.astype(np.float64), b.astype(np.float64)) for w, b in params]
            for x, y in batches:
                ref, _ = reference_step(ref, acts, x, y, lr)
            ref_delta = [(rw - w, rb - b) for (rw, rb), (w, b) in zip(ref, params)]
            for label, make in makers.items():
                step, get_params = make(layers, acts, params, lr, batch)
                for x, y in batches:
                    step(to_fw(x.copy()), to_fw(y.copy()))
                got = get_params()
                worst = 0.0
                for (gw, gb), (w, b), (dw, db) in zip(got, params, ref_delta):
                    for g, p0, d in ((gw, w, dw), (gb, b, db)):
                        delta = g.astype(np.float64) - p0.astype(np.float64)
                        scale = max(np.abs(d).max(), 1e-30)
                        worst = max(worst, float(np.abs(delta - d).max() / scale))
                passed = worst <= tol
                ok &= passed
                print(f"{'ok  ' if passed else 'FAIL'} {label:17s} {name:24s} lr={lr:<5g} "
                      f"max rel. error of the update {worst:.2e} (tolerance {tol:g})")
    # the loss formula itself: J = (1/m) sum 1/2 ||h - y||^2, checked through torch autograd
    if framework == "torch":
        name, layers, acts, batch = CASES[0]
        params, batches = case_data(layers, acts, batch, seed=100)
        step, _ = tb.make_autograd_step(layers, acts, params, 0.0, batch)
        got = float(step(to_fw(batches[0][0].copy()), to_fw(batches[0][1].copy())))
        _, want = reference_step(params, acts, *batches[0], 0.0)
        passed = abs(got - want) <= 1e-6 * max(1.0, abs(want))
        ok &= passed
        print(f"{'ok  ' if passed else 'FAIL'} pytorch-autograd  loss value {got:.8f} vs {want:.8f}")
    return ok


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--framework", choices=["torch", "jax"])
    p.add_argument("--torch-python", default=TORCH_PYTHON)
    p.add_argument("--jax-python", default=JAX_PYTHON)
    args = p.parse_args()
    if args.framework:
        sys.exit(0 if check(args.framework) else 1)
    failed = []
    for fw, py in (("torch", args.torch_python), ("jax", args.jax_python)):
        if not os.path.exists(py):
            print(f"FAIL {fw}: {py} not found (run Benchmarks/peers/run.sh to set it up)")
            failed.append(fw)
            continue
        env = dict(os.environ, JAX_PLATFORMS="cpu")
        r = subprocess.run([py, os.path.abspath(__file__), "--framework", fw], env=env)
        if r.returncode != 0:
            failed.append(fw)
    print("check_math: " + ("all steps match the equations" if not failed
                            else f"FAILED for {', '.join(failed)}"))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
