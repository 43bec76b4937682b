#!/usr/bin/python3
"""PyTorch (CPU) peer benchmark for the mlpd workloads (see workloads.py).

Run with Debian's Python, which has Debian's `python3-torch` (1.13):

    /usr/bin/python3 Benchmarks/peers/torch_bench.py --threads 2 [--workloads small,wide,large]
        [--warmup 5] [--steps 30] [--repeats 3] [--impl autograd|manual]

The training step (--impl):
  autograd (default) — nn.Sequential of nn.Linear + activations, loss
      0.5 * sum((h - y)^2) / m, loss.backward(), torch.optim.SGD(lr) (no momentum),
      zero_grad(set_to_none=True). What a PyTorch user writes.
  manual — the design's equations (10)-(13) by hand in preallocated buffers: addmm for
      Z = A W^T + b, in-place activations, D_L = (A_L - Y) * f'/m, dW = D^T A, db = sum D,
      D_l = (D_{l+1} W_l) * f'(A_l), W -= lr dW. No autograd, no allocation in the step.

Threads: for `--threads N` the script measures, each in a fresh child process pinned to the
first N CPUs of the allowed set (os.sched_setaffinity before torch is imported), every
setting of
  - the BLAS library PyTorch's float32 GEMM goes to (Debian's libtorch is built with
    BLAS_INFO=generic: it calls whatever `libblas.so.3` the loader finds). The child's
    LD_LIBRARY_PATH selects OpenBLAS's pthread build or its OpenMP build if installed
    (libopenblas0-pthread / libopenblas0-openmp); otherwise the system's libblas.so.3,
  - intra-op threads i = 1..N (torch.set_num_threads(i), OMP_NUM_THREADS=i,
    MKL_NUM_THREADS=i; torch.set_num_interop_threads(1)),
  - for the pthread OpenBLAS, its own pool b = 1..N (OPENBLAS_NUM_THREADS=b); the OpenMP
    build shares libgomp's pool with PyTorch, so there b = i,
and reports, per workload, the setting with the highest median throughput ("best_setting")
alongside all settings tried. `--intra-threads max` tries i = N alone (for sweeps to many
cores, where trying every i would take minutes per count). The children pin to the first N
CPUs of the allowed set, or of PEER_CPUS where that is set (workloads.first_cores). Output:
one JSON line per workload on stdout.

OpenBLAS core type: Debian's OpenBLAS 0.3.21 (DYNAMIC_ARCH) does not know newer Intel models
(here family 6 model 207) and falls back to its `Prescott` (SSE3) kernels: ~9 GFLOP/s
instead of ~100 on one core. Unless OPENBLAS_CORETYPE is already set, the children get
OPENBLAS_CORETYPE chosen from /proc/cpuinfo (Cooperlake with avx512_bf16, SkylakeX with
avx512f, Haswell with avx2); `--openblas-coretype auto` leaves it to OpenBLAS. The core
OpenBLAS actually used (openblas_get_corename) is in the output.
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

BLAS_DIRS = {
    "openblas-pthread": "/usr/lib/x86_64-linux-gnu/openblas-pthread",
    "openblas-openmp": "/usr/lib/x86_64-linux-gnu/openblas-openmp",
}


# ----------------------------------------------------------------------------------------
# The training steps (imported by check_math.py too, so the checked code is the timed code).

def _act_module(name, nn):
    return {"sigmoid": nn.Sigmoid, "relu": nn.ReLU, "identity": nn.Identity}[name]()


def make_autograd_step(layers, activations, params, lr, batch):
    """params: [(W (out,in), b)] NumPy. Returns (step(x, y), get_params())."""
    import torch
    from torch import nn

    mods = []
    for (w, b), act in zip(params, activations):
        lin = nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w))
            lin.bias.copy_(torch.from_numpy(b))
        mods += [lin, _act_module(act, nn)]
    model = nn.Sequential(*mods)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    scale = 0.5 / batch

    def step(x, y):
        opt.zero_grad(set_to_none=True)
        h = model(x)
        loss = torch.nn.functional.mse_loss(h, y, reduction="sum") * scale
        loss.backward()
        opt.step()
        return loss

    def get_params():
        lins = [m for m in model if isinstance(m, nn.Linear)]
        return [(l.weight.detach().numpy().copy(), l.bias.detach().numpy().copy()) for l in lins]

    return step, get_params


def make_manual_step(layers, activations, params, lr, batch):
    """The design's equations, example-major (A^(l) is batch x s_l), preallocated buffers."""
    import torch

    W = [torch.from_numpy(w.copy()) for w, _ in params]
    B = [torch.from_numpy(b.copy()) for _, b in params]
    A = [None] + [torch.empty(batch, s) for s in layers[1:]]  # A[0] is the input
    D = [None] + [torch.empty(batch, s) for s in layers[1:]]
    T = [None] + [torch.empty(batch, s) for s in layers[1:]]  # scratch for f'
    gW = [torch.empty_like(w) for w in W]
    gB = [torch.empty_like(b) for b in B]
    L = len(W)
    inv_m = 1.0 / batch

    def apply(act, a):
        if act == "sigmoid":
            torch.sigmoid(a, out=a)
        elif act == "relu":
            torch.relu_(a)

    def times_fprime(act, d, a, t):
        # d *= f'(z), written through a = f(z)
        if act == "sigmoid":  # f' = a (1 - a)
            torch.mul(a, a, out=t)
            torch.sub(a, t, out=t)
            d.mul_(t)
        elif act == "relu":  # f' = [a > 0]
            torch.gt(a, 0, out=t)
            d.mul_(t)

    def step(x, y):
        A[0] = x
        for l in range(L):
            torch.addmm(B[l], A[l], W[l].t(), out=A[l + 1])  # Z = A W^T + b
            apply(activations[l], A[l + 1])
        # (10): D_L = -(Y - A_L) * f'(Z_L), with the 1/m of the mean folded in
        torch.sub(A[L], y, out=D[L])
        D[L].mul_(inv_m)
        times_fprime(activations[L - 1], D[L], A[L], T[L])
        for l in range(L - 1, -1, -1):
            torch.mm(D[l + 1].t(), A[l], out=gW[l])          # (12) dW = D^T A
            torch.sum(D[l + 1], 0, out=gB[l])                 # (13) db = D^T 1
            if l > 0:                                         # (11) no delta for the input
                torch.mm(D[l + 1], W[l], out=D[l])
                times_fprime(activations[l - 1], D[l], A[l], T[l])
        for l in range(L):
            W[l].add_(gW[l], alpha=-lr)
            B[l].add_(gB[l], alpha=-lr)

    def get_params():
        return [(w.numpy().copy(), b.numpy().copy()) for w, b in zip(W, B)]

    return step, get_params


IMPLS = {"autograd": make_autograd_step, "manual": make_manual_step}


# ----------------------------------------------------------------------------------------
# Child: one process = one thread setting, all requested workloads.

def cpu_flags() -> set:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def default_coretype() -> str:
    if os.environ.get("OPENBLAS_CORETYPE"):
        return os.environ["OPENBLAS_CORETYPE"]
    flags = cpu_flags()
    if "avx512f" in flags:
        return "Cooperlake" if "avx512_bf16" in flags else "SkylakeX"
    if "avx2" in flags:
        return "Haswell"
    return "auto"


def openblas_corename() -> str:
    import ctypes
    with open("/proc/self/maps") as f:
        paths = {line.split()[-1] for line in f if "openblas" in line}
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return lib.openblas_get_corename().decode()
        except (OSError, AttributeError):
            continue
    return ""


def loaded_blas() -> str:
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            if "blas" in os.path.basename(path) or "mkl" in os.path.basename(path):
                libs.add(os.path.realpath(path))
    return ",".join(sorted(libs))


def run_child(args):
    cores = wl.pin(args.cores)  # before torch (and its OpenMP runtime) loads
    import torch

    torch.set_num_threads(args.intra)
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)
    blas = loaded_blas()
    corename = openblas_corename()
    for name in args.workloads:
        w = wl.WORKLOADS[name]
        params = wl.init_params(w.layers, w.activations)
        batches = [(torch.from_numpy(x), torch.from_numpy(y))
                   for x, y in wl.make_batches(w.layers, w.batch, w.output)]
        step, _ = IMPLS[args.impl](w.layers, w.activations, params, w.lr, w.batch)
        nb = len(batches)
        for i in range(args.warmup):
            step(*batches[i % nb])
        times, foreign, mon = [], [], wl.Interference(cores)
        for _ in range(args.repeats):
            mon.start()
            t0 = time.perf_counter()
            for i in range(args.steps):
                step(*batches[i % nb])
            times.append(time.perf_counter() - t0)
            foreign.append(mon.share(times[-1]))
        res = wl.summarize(times, w.batch, args.steps, foreign)
        print(json.dumps({
            "workload": name, "cores": cores, "intra_op_threads": torch.get_num_threads(),
            "interop_threads": torch.get_num_interop_threads(),
            "blas_threads_env": os.environ.get("OPENBLAS_NUM_THREADS"),
            "blas_loaded": blas, "openblas_corename": corename, **res,
        }), flush=True)


# ----------------------------------------------------------------------------------------
# Parent: sweep the settings for each thread count, keep the best per workload.

def available_blas(choice: str) -> list:
    have = [k for k, d in BLAS_DIRS.items() if os.path.exists(os.path.join(d, "libblas.so.3"))]
    if choice == "all":
        return have or ["system"]
    if choice == "system":
        return ["system"]
    if choice not in have:
        raise SystemExit(f"--blas {choice}: {BLAS_DIRS.get(choice, choice)} not installed "
                         f"(apt-get install -y lib{choice.replace('openblas-', 'openblas0-')})")
    return [choice]


def settings_for(n: int, blas_list: list, intra_choice: str = "all") -> list:
    out = []
    for blas in blas_list:
        for intra in (range(1, n + 1) if intra_choice == "all" else [n]):
            if blas == "openblas-pthread":
                out += [(blas, intra, b) for b in range(1, n + 1)]
            else:  # OpenMP OpenBLAS follows omp_set_num_threads (= intra); system: unknown
                out.append((blas, intra, intra))
    return out


def run_setting(args, n, blas, intra, blas_threads):
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS=str(intra), MKL_NUM_THREADS=str(intra),
               OPENBLAS_NUM_THREADS=str(blas_threads))
    if args.openblas_coretype != "auto":
        env["OPENBLAS_CORETYPE"] = args.openblas_coretype
    else:
        env.pop("OPENBLAS_CORETYPE", None)
    if blas in BLAS_DIRS:
        env["LD_LIBRARY_PATH"] = BLAS_DIRS[blas] + (
            ":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
    cmd = [sys.executable, os.path.abspath(__file__), "--child", "--cores", str(n),
           "--intra", str(intra), "--impl", args.impl, "--workloads", ",".join(args.workloads),
           "--warmup", str(args.warmup), "--steps", str(args.steps),
           "--repeats", str(args.repeats)]
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"torch_bench child failed ({blas}, intra {intra}, "
                         f"blas {blas_threads}): exit {proc.returncode}")
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def package_versions() -> dict:
    out = {}
    for pkg in ("python3-torch", "libopenblas0-pthread", "libopenblas0-openmp"):
        try:
            r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        except FileNotFoundError:  # not a Debian system: torch's own version is in the output
            break
        if r.returncode == 0 and r.stdout:
            out[pkg] = r.stdout
    return out


def run_parent(args):
    try:
        import torch  # only for the version; children do the work
        version = torch.__version__
    except ImportError:
        raise SystemExit("torch not importable by %s: apt-get install -y python3-torch and run "
                         "this script with /usr/bin/python3" % sys.executable)
    del torch
    blas_list = available_blas(args.blas)
    for n in args.threads:
        wl.first_cores(n)  # validates n against the allowed set
        best = {}
        tried = {name: [] for name in args.workloads}
        load_before = wl.load_info()
        for blas, intra, bt in settings_for(n, blas_list, args.intra_threads):
            for r in run_setting(args, n, blas, intra, bt):
                setting = {"blas": blas, "intra_op_threads": intra, "blas_threads": bt}
                tried[r["workload"]].append({**setting,
                                             "examples_per_second": round(r["examples_per_second"], 2),
                                             "openblas_corename": r["openblas_corename"],
                                             "foreign_cpu_share": r["foreign_cpu_share"]})
                if r["workload"] not in best or \
                        r["examples_per_second"] > best[r["workload"]][1]["examples_per_second"]:
                    best[r["workload"]] = (setting, r)
        load_after = wl.load_info()
        for name in args.workloads:
            setting, r = best[name]
            w = wl.WORKLOADS[name]
            print(json.dumps({
                "framework": "pytorch", "version": version, "impl": args.impl,
                "workload": name, "threads": n, "cores": r["cores"],
                "examples_per_second": round(r["examples_per_second"], 2),
                "gflops": round(wl.gflops(r["examples_per_second"], w.layers), 2),
                "gflops_best_repeat": round(wl.gflops(r["examples_per_second_best"], w.layers), 2),
                "package": package_versions(), "openblas_coretype_env": args.openblas_coretype,
                "best_setting": setting,
                "blas_loaded": r["blas_loaded"], "openblas_corename": r["openblas_corename"],
                "repeat_seconds": r["repeat_seconds"], "steps": args.steps,
                "foreign_cpu_share": r["foreign_cpu_share"],
                "warmup": args.warmup, "settings_tried": tried[name],
                "load_before": load_before, "load_after": load_after,
            }), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", default="1", help="core counts, e.g. 1 or 1,2")
    p.add_argument("--workloads", default=",".join(wl.ORDER))
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--impl", choices=sorted(IMPLS), default="autograd")
    p.add_argument("--blas", default="all",
                   help="all (every OpenBLAS build installed), openblas-pthread, "
                        "openblas-openmp, or system (the libblas.so.3 alternative)")
    p.add_argument("--intra-threads", choices=["all", "max"], default="all",
                   help="intra-op thread counts tried for --threads N: all of 1..N (default), "
                        "or N alone (each setting is a child process that imports torch: on 16 cores "
                        "'all' means 16 of them per workload set)")
    p.add_argument("--openblas-coretype", default=None,
                   help="OPENBLAS_CORETYPE for the children; default: from /proc/cpuinfo "
                        "(or $OPENBLAS_CORETYPE); 'auto' = OpenBLAS's own detection")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--cores", type=int, help=argparse.SUPPRESS)
    p.add_argument("--intra", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    args.workloads = wl.parse_workloads(args.workloads)
    if args.steps < 1 or args.repeats < 1 or args.warmup < 0:
        raise SystemExit("--steps and --repeats must be >= 1, --warmup >= 0")
    if args.child:
        run_child(args)
    else:
        args.threads = wl.parse_threads(args.threads)
        if args.openblas_coretype is None:
            args.openblas_coretype = default_coretype()
        run_parent(args)


if __name__ == "__main__":
    main()
