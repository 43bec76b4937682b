#!/usr/bin/env bash
# Thread scaling on a borrowed many-core machine: `mlpd bench` and the PyTorch peer script on
# the three bench workloads at 1, 2, 4, … threads, on the same cores, in one run of a few
# minutes. Two steps:
#
#   Benchmarks/device-sweep.sh prepare
#       here (Debian 12, Swift): two static release builds of mlpd, one for any AVX-512 x86-64
#       CPU (MLPD_TARGET_CPU=skylake-avx512: AVX-512 F, CD, BW, DQ and VL, which Intel CPUs
#       since Skylake-SP and AMD's since Zen 4 have) and one for AVX2 with FMA (haswell), for
#       a machine without AVX-512; each stripped and xz-compressed (18 MB each, 36 MB in all:
#       a static binary alone is over the 64 MiB a device call carries), and the shared
#       libraries they still need that a machine without libhwloc-dev may lack (libhwloc,
#       libudev), into .device/ (git-ignored). ~8 minutes.
#   Benchmarks/device-sweep.sh run OUTDIR [--threads 1,2,4,8,12,16] [--isa avx512|avx2]
#                                         [--no-pytorch]
#       there, from the repository root with .device/ carried along: records the machine,
#       runs the sweep with the widest build the CPU runs (or --isa's) and writes
#       OUTDIR/{machine.txt, mlpd-W.json, mlpd-W.svg, pytorch.jsonl, sweep.md}; sweep.md (also
#       printed) has one table per workload. Needs a python3 there, with torch unless
#       --no-pytorch; PYTHON names another (here: /usr/bin/python3).
#
# Both programs use the same CPUs at every count: the PyTorch children pin to the CPUs that
# `mlpd topology --threads N` gives mlpd's workers (PEER_CPUS, Benchmarks/peers/workloads.py).
# PyTorch runs with N intra-op threads at N cores (`--intra-threads max`): trying every 1…N,
# as Benchmarks/peers/run.sh does at 1 and 2 cores, would take minutes per count at 16.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEVICE="$ROOT/.device"
die() { echo "device-sweep.sh: $*" >&2; exit 1; }

prepare() {
  command -v swift >/dev/null || die "prepare needs Swift (scripts/bootstrap sets up the rest)"
  command -v xz >/dev/null || die "prepare needs xz (apt-get install -y xz-utils)"
  command -v strip >/dev/null || die "prepare needs strip (apt-get install -y binutils)"
  cd "$ROOT"
  rm -rf "$DEVICE" && mkdir -p "$DEVICE/lib"
  local isa cpu
  for isa in avx512 avx2; do
    cpu=$([[ $isa == avx512 ]] && echo skylake-avx512 || echo haswell)
    echo "device-sweep.sh: static release build for $cpu (.build-static-$isa)" >&2
    MLPD_TARGET_CPU=$cpu swift build -c release --static-swift-stdlib --build-path ".build-static-$isa" >&2 \
      || die "swift build --static-swift-stdlib for $cpu failed"
    strip -o "$DEVICE/mlpd-$isa" ".build-static-$isa/release/mlpd"
    xz -T0 -6 "$DEVICE/mlpd-$isa"
  done
  # What the binaries link besides the C and C++ runtimes every Linux has.
  ldd .build-static-avx512/release/mlpd | awk '/=> \// { print $3 }' | while read -r lib; do
    case "$(basename "$lib")" in
      libc.so*|libm.so*|libstdc++.so*|libgcc_s.so*|libz.so*|ld-linux*) ;;
      *) cp -L "$lib" "$DEVICE/lib/" ;;
    esac
  done
  ls -l "$DEVICE" "$DEVICE/lib" >&2
  echo "device-sweep.sh: carry .device (and nothing else is needed); there: Benchmarks/device-sweep.sh run OUTDIR" >&2
}

run() {
  [[ $# -ge 1 && "$1" != --* ]] || die "run needs an output folder: run OUTDIR [--threads 1,2,4,…] [--isa avx512|avx2] [--no-pytorch]"
  local out="$1"; shift
  local threads="" isa="" pytorch=1 py="${PYTHON:-python3}"
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --threads) [[ $# -ge 2 ]] || die "--threads needs a value"; threads="$2"; shift 2 ;;
      --isa) [[ $# -ge 2 && "$2" =~ ^(avx512|avx2)$ ]] || die "--isa wants avx512 or avx2"; isa="$2"; shift 2 ;;
      --no-pytorch) pytorch=0; shift ;;
      *) die "unknown argument '$1'" ;;
    esac
  done
  [[ -z "$threads" || "$threads" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--threads wants e.g. 1,2,4, got '$threads'"
  # Both builds also use the BMI, LZCNT (abm), MOVBE and F16C instructions of their -target-cpu.
  local avx2="avx2 fma bmi1 bmi2 abm movbe f16c"
  local avx512="avx512f avx512cd avx512bw avx512dq avx512vl $avx2"
  local flags; flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2 || true) "
  has() { local f; for f; do [[ "$flags" == *" $f "* ]] || return 1; done; }
  if [[ -z "${flags// /}" ]]; then
    [[ -n "$isa" ]] || die "no CPU flags in /proc/cpuinfo to choose a build by: pass --isa avx512|avx2"
    echo "device-sweep.sh: no CPU flags in /proc/cpuinfo; the $isa build, as --isa says" >&2
  else
    if [[ -z "$isa" ]]; then
      if has $avx512; then isa=avx512; elif has $avx2; then isa=avx2
      else die "this CPU has neither AVX-512 nor AVX2 with FMA, which mlpd's two builds need"; fi
    fi
    local needs; [[ $isa == avx512 ]] && needs=$avx512 || needs=$avx2
    has $needs || die "this CPU lacks one of: $needs (the $isa build needs them all)"
  fi
  [[ -r "$DEVICE/mlpd-$isa.xz" ]] || die "no $DEVICE/mlpd-$isa.xz: run 'Benchmarks/device-sweep.sh prepare' here and carry .device"
  "$py" -c 'import json, lzma' 2>/dev/null || die "no usable $py: set PYTHON to a python3"
  if [[ $pytorch == 1 ]]; then
    "$py" -c 'import torch' 2>/dev/null || die "$py cannot import torch: set PYTHON to one that can, or pass --no-pytorch"
  fi
  # All or nothing: the results go to a folder beside OUTDIR, renamed to OUTDIR at the end.
  local final; final="$(realpath -m "$out")"
  [[ ! -e "$final" ]] || die "$final exists; name a new folder"
  mkdir -p "$(dirname "$final")"
  out="$final.partial.$$"
  local bin="$out/.mlpd"
  trap "rm -rf $(printf %q "$out")" EXIT
  mkdir "$out"
  "$py" -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' \
    "$DEVICE/mlpd-$isa.xz" "$bin"
  chmod +x "$bin"
  export LD_LIBRARY_PATH="$DEVICE/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  local cores; cores=$(nproc)
  if [[ -z "$threads" ]]; then
    threads=$("$py" -c 'import sys; n=int(sys.argv[1]); print(",".join(str(t) for t in sorted({1, 2, 4, 8, 12, 16, 24, 32, 48, 64, n}) if t <= n))' "$cores")
  fi
  cd "$ROOT"
  {
    echo "date: $(date -u +%FT%TZ)"; echo "nproc: $cores"; echo "mlpd build: $isa"; uname -a
    lscpu 2>/dev/null || grep -m1 'model name' /proc/cpuinfo || true
    echo; "$bin" topology
    "$py" -c 'import torch; print("torch", torch.__version__, "threads", torch.get_num_threads())' 2>&1 || true
  } >"$out/machine.txt"
  echo "device-sweep.sh: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $cores CPUs; the $isa build; threads $threads" >&2

  # workload, mlpd steps, PyTorch steps: about a second per round at one thread.
  local plan=("small 100 50" "wide 20 10" "large 4 3")
  for entry in "${plan[@]}"; do
    read -r w mlpd_steps torch_steps <<<"$entry"
    echo "device-sweep.sh: mlpd bench $w --threads $threads" >&2
    "$bin" bench "configs/bench/$w.yaml" --threads "$threads" --steps "$mlpd_steps" --warmup 2 --repeats 3 \
      --json --svg "$out/mlpd-$w.svg" >"$out/mlpd-$w.json"
    [[ $pytorch == 1 ]] || continue
    for t in ${threads//,/ }; do
      local cpus
      cpus=$("$bin" topology --threads "$t" --json | "$py" -c \
        'import json, sys; print(",".join(str(w["pu"]) for w in json.load(sys.stdin)["plan"]["workers"]))')
      echo "device-sweep.sh: PyTorch $w --threads $t on CPUs $cpus" >&2
      PEER_CPUS="$cpus" "$py" Benchmarks/peers/torch_bench.py --threads "$t" --workloads "$w" \
        --steps "$torch_steps" --warmup 2 --repeats 3 --intra-threads max --blas all >>"$out/pytorch.jsonl"
    done
  done
  "$py" - "$out" <<'PY' | tee "$out/sweep.md"
import json, os, sys
out = sys.argv[1]
torch = {}
path = os.path.join(out, "pytorch.jsonl")
if os.path.exists(path):
    for line in open(path):
        r = json.loads(line)
        torch[(r["workload"], r["threads"])] = r["examples_per_second"]
for w in ("small", "wide", "large"):
    bench = json.load(open(os.path.join(out, f"mlpd-{w}.json")))
    rows = bench["results"]
    print(f"\n{w} ({'-'.join(map(str, bench['layers']))}, batch {bench['batch_size']}), {bench['machine']['cpu_model']}\n")
    print("| threads | mlpd examples/s | speedup | efficiency | % of ceiling | PyTorch examples/s | PyTorch speedup | mlpd / PyTorch |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    first = torch.get((w, rows[0]["threads"]))
    for r in rows:
        p = torch.get((w, r["threads"]))
        cells = [f"{r['threads']}", f"{r['examples_per_second']:,.0f}", f"{r['speedup']:.2f}",
                 f"{r['efficiency']:.2f}", f"{100 * r['ceiling_share']:.0f}% of {r['ceiling_gflops']:.0f}",
                 f"{p:,.0f}" if p else "–",
                 f"{p / first * rows[0]['threads']:.2f}" if p and first else "–",
                 f"{r['examples_per_second'] / p:.2f}×" if p else "–"]
        print("| " + " | ".join(cells) + " |")
PY
  rm "$bin"
  mv "$out" "$final"
  trap - EXIT
  echo "device-sweep.sh: written $final" >&2
}

case "${1:-}" in
  prepare) shift; prepare "$@" ;;
  run) shift; run "$@" ;;
  -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//' ;;
  "") die "which command: prepare, run OUTDIR, or --help" ;;
  *) die "unknown command '$1' (prepare, run or --help)" ;;
esac
