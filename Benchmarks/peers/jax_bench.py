#!/usr/bin/env python3
"""JAX (XLA:CPU) peer benchmark for the mlpd workloads (see workloads.py).

Run with the venv that run.sh creates (Benchmarks/peers/.venv-jax, `jax[cpu]` from PyPI):

    Benchmarks/peers/.venv-jax/bin/python Benchmarks/peers/jax_bench.py --threads 1,2
        [--workloads small,wide,large] [--warmup 5] [--steps 30] [--repeats 3]

The step: params -> params, jitted with donate_argnums=0 (parameters updated in place),
the loss 0.5 * sum((h - y)^2) / m differentiated by jax.grad, then p - lr * g for every
tensor. Forward is a @ W.T + b with W stored (out, in) like PyTorch. Timing: warm-up steps
(which include compilation), then `--repeats` runs of `--steps` steps, each closed by
block_until_ready; examples/s from the median run.

Threads: XLA:CPU runs a dot/elementwise op on an Eigen thread pool whose size it takes from
the process's CPU affinity when the CPU client is created (tsl MaxParallelism ->
sched_getaffinity). So each measurement runs in a fresh child that calls
os.sched_setaffinity(first N CPUs) BEFORE importing jax; that alone sizes the pool to N and
keeps every thread on those cores. Measured facts with jax/jaxlib 0.10.2 (README.md):
  - `--xla_cpu_multi_thread_eigen=false` is accepted and makes XLA run each op on the calling
    thread; for N = 1 it is tried as a second setting and the faster one is reported.
  - `intra_op_parallelism_threads=1` is not an XLA flag (it is TensorFlow's). Written without
    `--` in XLA_FLAGS it is silently ignored; with `--` XLA aborts on an unknown flag. It is
    not used.
Output: one JSON line per workload on stdout.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import workloads as wl  # noqa: E402


# ----------------------------------------------------------------------------------------
# The training step (imported by check_math.py too).

def make_step(layers, activations, params, lr, batch):
    """params: [(W (out,in), b)] NumPy. Returns (step(x, y), get_params())."""
    from functools import partial

    import jax
    import jax.numpy as jnp
    import numpy as np

    acts = {"sigmoid": jax.nn.sigmoid, "relu": jax.nn.relu, "identity": lambda z: z}
    fs = [acts[a] for a in activations]
    scale = 0.5 / batch

    def loss(p, x, y):
        a = x
        for (w, b), f in zip(p, fs):
            a = f(a @ w.T + b)
        return scale * jnp.sum((a - y) ** 2)

    @partial(jax.jit, donate_argnums=0)
    def sgd_step(p, x, y):
        g = jax.grad(loss)(p, x, y)
        return jax.tree_util.tree_map(lambda q, dq: q - lr * dq, p, g)

    state = {"p": [(jnp.asarray(w), jnp.asarray(b)) for w, b in params]}

    def step(x, y):
        state["p"] = sgd_step(state["p"], x, y)
        return state["p"]

    def get_params():
        return [(np.asarray(w), np.asarray(b)) for w, b in state["p"]]

    return step, get_params


# ----------------------------------------------------------------------------------------
# Child: one process = one thread setting, all requested workloads.

def run_child(args):
    cores = wl.pin(args.cores)  # before jax: the Eigen pool is sized from the affinity mask
    import jax
    import jax.numpy as jnp

    if jax.default_backend() != "cpu":
        raise SystemExit(f"expected the CPU backend, got {jax.default_backend()}")
    for name in args.workloads:
        w = wl.WORKLOADS[name]
        params = wl.init_params(w.layers, w.activations)
        batches = [(jnp.asarray(x), jnp.asarray(y))
                   for x, y in wl.make_batches(w.layers, w.batch, w.output)]
        step, _ = make_step(w.layers, w.activations, params, w.lr, w.batch)
        nb = len(batches)
        for i in range(max(args.warmup, 1)):  # at least one: compilation
            p = step(*batches[i % nb])
        jax.block_until_ready(p)
        times, foreign, mon = [], [], wl.Interference(cores)
        for _ in range(args.repeats):
            mon.start()
            t0 = time.perf_counter()
            for i in range(args.steps):
                p = step(*batches[i % nb])
            jax.block_until_ready(p)
            times.append(time.perf_counter() - t0)
            foreign.append(mon.share(times[-1]))
        res = wl.summarize(times, w.batch, args.steps, foreign)
        print(json.dumps({"workload": name, "cores": cores,
                          "os_threads": len(os.listdir("/proc/self/task")), **res}), flush=True)


# ----------------------------------------------------------------------------------------
# Parent: for each core count, run the settings in fresh children, keep the best.

def settings_for(n: int) -> list:
    if n == 1:
        return [{"xla_flags": ""}, {"xla_flags": "--xla_cpu_multi_thread_eigen=false"}]
    return [{"xla_flags": ""}]


def run_setting(args, n, setting):
    env = dict(os.environ)
    flags = " ".join(f for f in (env.get("XLA_FLAGS", ""), setting["xla_flags"]) if f)
    env["XLA_FLAGS"] = flags
    env["JAX_PLATFORMS"] = "cpu"
    cmd = [sys.executable, os.path.abspath(__file__), "--child", "--cores", str(n),
           "--workloads", ",".join(args.workloads), "--warmup", str(args.warmup),
           "--steps", str(args.steps), "--repeats", str(args.repeats)]
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"jax_bench child failed (threads {n}, XLA_FLAGS={flags!r}): "
                         f"exit {proc.returncode}")
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def run_parent(args):
    import importlib.metadata as md
    try:
        version = md.version("jax")
        jaxlib_version = md.version("jaxlib")
    except md.PackageNotFoundError:
        raise SystemExit(f"jax is not installed for {sys.executable}; run Benchmarks/peers/run.sh "
                         "(it creates Benchmarks/peers/.venv-jax) or pip install 'jax[cpu]'")
    for n in args.threads:
        wl.first_cores(n)
        best, tried = {}, {name: [] for name in args.workloads}
        load_before = wl.load_info()
        for setting in settings_for(n):
            for r in run_setting(args, n, setting):
                tried[r["workload"]].append({**setting, "os_threads": r["os_threads"],
                                             "examples_per_second": round(r["examples_per_second"], 2),
                                             "foreign_cpu_share": r["foreign_cpu_share"]})
                if r["workload"] not in best or \
                        r["examples_per_second"] > best[r["workload"]][1]["examples_per_second"]:
                    best[r["workload"]] = (setting, r)
        load_after = wl.load_info()
        for name in args.workloads:
            setting, r = best[name]
            w = wl.WORKLOADS[name]
            print(json.dumps({
                "framework": "jax", "version": version, "jaxlib": jaxlib_version,
                "impl": "jax.grad + jit(donate)", "workload": name, "threads": n,
                "cores": r["cores"],
                "examples_per_second": round(r["examples_per_second"], 2),
                "gflops": round(wl.gflops(r["examples_per_second"], w.layers), 2),
                "gflops_best_repeat": round(wl.gflops(r["examples_per_second_best"], w.layers), 2),
                "best_setting": setting, "repeat_seconds": r["repeat_seconds"],
                "foreign_cpu_share": r["foreign_cpu_share"],
                "steps": args.steps, "warmup": args.warmup, "settings_tried": tried[name],
                "load_before": load_before, "load_after": load_after,
            }), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", default="1", help="core counts, e.g. 1 or 1,2")
    p.add_argument("--workloads", default=",".join(wl.ORDER))
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--cores", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    args.workloads = wl.parse_workloads(args.workloads)
    if args.steps < 1 or args.repeats < 1 or args.warmup < 0:
        raise SystemExit("--steps and --repeats must be >= 1, --warmup >= 0")
    if args.child:
        run_child(args)
    else:
        args.threads = wl.parse_threads(args.threads)
        run_parent(args)


if __name__ == "__main__":
    main()
