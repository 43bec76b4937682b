#!/usr/bin/env bash
# Peer comparison: PyTorch (Debian's python3-torch) and JAX (jax[cpu] from PyPI) on the mlpd
# workloads (workloads.py), at each thread count, on the first N CPUs. Sets up what is
# missing, checks the math (check_math.py), runs both, prints a Markdown table and writes
# Benchmarks/peers/results.json. See README.md next to this file.
#
#   Benchmarks/peers/run.sh [--threads 1,2] [--steps 30] [--warmup 5] [--repeats 3]
#                           [--workloads small,wide,large] [--frameworks pytorch,jax]
#                           [--rounds K] [--merge FILE] [--out FILE] [--no-setup] [--no-check]
#
# --rounds K repeats the whole measurement K times (alternating frameworks) and keeps, per
# workload, thread count and framework, the round with the highest median throughput: on a
# shared machine that is the least disturbed one. Each result says how much of its cores'
# time other processes took while it ran ("other load" in the table). --merge FILE also counts
# the results of an earlier results.json (same versions assumed) as candidate rounds.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SYS_PY=/usr/bin/python3
VENV="$HERE/.venv-jax"
JAX_PY="$VENV/bin/python"

threads="" steps=30 warmup=5 repeats=3 workloads="small,wide,large" frameworks="pytorch,jax"
out="$HERE/results.json" setup=1 check=1 rounds=1 merge=""

die() { echo "run.sh: $*" >&2; exit 1; }
need_arg() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --threads)    need_arg "$@"; threads="$2"; shift 2 ;;
    --steps)      need_arg "$@"; steps="$2"; shift 2 ;;
    --warmup)     need_arg "$@"; warmup="$2"; shift 2 ;;
    --repeats)    need_arg "$@"; repeats="$2"; shift 2 ;;
    --workloads)  need_arg "$@"; workloads="$2"; shift 2 ;;
    --frameworks) need_arg "$@"; frameworks="$2"; shift 2 ;;
    --out)        need_arg "$@"; out="$2"; shift 2 ;;
    --rounds)     need_arg "$@"; rounds="$2"; shift 2 ;;
    --merge)      need_arg "$@"; merge="$2"; shift 2 ;;
    --no-setup)   setup=0; shift ;;
    --no-check)   check=0; shift ;;
    -h|--help)    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done
for v in steps warmup repeats rounds; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || die "--$v wants a non-negative integer, got '${!v}'"
done
[[ $steps -ge 1 && $repeats -ge 1 && $rounds -ge 1 ]] || die "--steps, --repeats and --rounds must be at least 1"
ncpu=$(nproc)
if [[ -z "$threads" ]]; then
  threads=1; [[ $ncpu -gt 1 ]] && threads="1,$ncpu"
fi
[[ -z "$merge" || -r "$merge" ]] || die "--merge $merge: no such file"
[[ "$threads" =~ ^[0-9]+(,[0-9]+)*$ ]] || die "--threads wants e.g. 1,2, got '$threads'"
for t in ${threads//,/ }; do
  [[ $t -ge 1 && $t -le $ncpu ]] || die "--threads $t: this process may use $ncpu CPUs"
done
want_torch=0 want_jax=0
for f in ${frameworks//,/ }; do
  case "$f" in pytorch|torch) want_torch=1 ;; jax) want_jax=1 ;; *) die "unknown framework '$f'" ;; esac
done

# ---------------------------------------------------------------- setup (idempotent)
apt_install() {
  [[ $(id -u) -eq 0 ]] || die "missing Debian packages: $*; run: sudo apt-get install -y $*"
  command -v apt-get >/dev/null || die "missing packages $* and no apt-get"
  echo "run.sh: apt-get install -y $*" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2 \
    || die "apt-get install $* failed (try apt-get update first)"
}
have_deb() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

[[ -x $SYS_PY ]] || die "$SYS_PY not found (Debian's python3)"
if [[ $setup -eq 1 ]]; then
  missing=()
  if [[ $want_torch -eq 1 ]]; then
    have_deb python3-torch || missing+=(python3-torch)
    # Debian's libtorch calls the libblas.so.3 it finds; the default reference BLAS runs at
    # ~4 GFLOP/s. OpenBLAS in both threading builds (installing them also makes OpenBLAS the
    # system's libblas.so.3 alternative, which is Debian's recommended state for libtorch).
    have_deb libopenblas0-pthread || missing+=(libopenblas0-pthread)
    have_deb libopenblas0-openmp || missing+=(libopenblas0-openmp)
  fi
  if [[ $want_jax -eq 1 ]]; then
    $SYS_PY -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
  fi
  [[ ${#missing[@]} -eq 0 ]] || apt_install "${missing[@]}"
  if [[ $want_jax -eq 1 ]]; then
    if [[ ! -x $JAX_PY ]]; then
      echo "run.sh: creating $VENV" >&2
      $SYS_PY -m venv "$VENV" || die "python3 -m venv $VENV failed"
    fi
    if ! "$JAX_PY" - "$HERE/requirements-jax.txt" <<'PY' 2>/dev/null
import sys, importlib.metadata as md, re
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if not line: continue
    name, ver = re.match(r"([A-Za-z0-9_.-]+)(?:\[.*\])?==(.+)", line).groups()
    if md.version(name) != ver: sys.exit(1)
PY
    then
      echo "run.sh: pip install -r requirements-jax.txt into $VENV" >&2
      "$JAX_PY" -m pip install -q --disable-pip-version-check -r "$HERE/requirements-jax.txt" >&2 \
        || die "pip install into $VENV failed (is PyPI reachable?)"
    fi
  fi
fi
if [[ $want_torch -eq 1 ]]; then
  $SYS_PY -c 'import torch' 2>/dev/null \
    || die "torch is not importable by $SYS_PY (apt-get install -y python3-torch, or drop --no-setup)"
fi
if [[ $want_jax -eq 1 ]]; then
  [[ -x $JAX_PY ]] && "$JAX_PY" -c 'import jax' 2>/dev/null \
    || die "jax is not importable by $JAX_PY (drop --no-setup to create the venv)"
fi

# ---------------------------------------------------------------- math check
if [[ $check -eq 1 ]]; then
  echo "run.sh: checking the training steps against the equations (check_math.py)" >&2
  if [[ $want_torch -eq 1 ]]; then
    $SYS_PY "$HERE/check_math.py" --framework torch >&2 || die "check_math.py failed for PyTorch"
  fi
  if [[ $want_jax -eq 1 ]]; then
    JAX_PLATFORMS=cpu "$JAX_PY" "$HERE/check_math.py" --framework jax >&2 \
      || die "check_math.py failed for JAX"
  fi
fi

# ---------------------------------------------------------------- benchmarks
lines=$(mktemp); trap 'rm -f "$lines"' EXIT
uptime_before=$(uptime)
echo "run.sh: before: $uptime_before" >&2
common=(--workloads "$workloads" --warmup "$warmup" --steps "$steps" --repeats "$repeats")
run_torch() {
  echo "run.sh: round $1/$rounds: PyTorch, $2 thread(s) ... (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  $SYS_PY "$HERE/torch_bench.py" --threads "$2" "${common[@]}" \
    | sed "s/^{/{\"round\": $1, /" >>"$lines" || die "torch_bench.py --threads $2 failed"
}
run_jax() {
  echo "run.sh: round $1/$rounds: JAX, $2 thread(s) ... (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  "$JAX_PY" "$HERE/jax_bench.py" --threads "$2" "${common[@]}" \
    | sed "s/^{/{\"round\": $1, /" >>"$lines" || die "jax_bench.py --threads $2 failed"
}
for ((k = 1; k <= rounds; k++)); do
  for t in ${threads//,/ }; do
    order=(torch jax)
    ((k % 2)) || order=(jax torch)  # alternate so neither framework always runs first
    for fw in "${order[@]}"; do
      if [[ $fw == torch && $want_torch -eq 1 ]]; then run_torch "$k" "$t"; fi
      if [[ $fw == jax && $want_jax -eq 1 ]]; then run_jax "$k" "$t"; fi
    done
  done
done
uptime_after=$(uptime)
echo "run.sh: after:  $uptime_after" >&2

# ---------------------------------------------------------------- results.json + table
MERGE="$merge" UPTIME_BEFORE="$uptime_before" UPTIME_AFTER="$uptime_after" \
$SYS_PY - "$lines" "$out" "$HERE" <<'PY'
import json, os, platform, sys, datetime
sys.path.insert(0, sys.argv[3])
import workloads as wl
now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
all_rows = [dict(json.loads(l), run=now) for l in open(sys.argv[1]) if l.startswith("{")]
uptimes = [{"run": now, "before": os.environ["UPTIME_BEFORE"].strip(),
            "after": os.environ["UPTIME_AFTER"].strip()}]
if os.environ.get("MERGE"):
    earlier = json.load(open(os.environ["MERGE"]))
    if "uptime_before" in earlier:  # files written before "uptimes" existed
        earlier["uptimes"] = [{"run": earlier["date"], "before": earlier["uptime_before"],
                               "after": earlier["uptime_after"]}]
    uptimes = earlier.get("uptimes", []) + uptimes
    for r in earlier["results"]:
        for x in r.get("rounds", []):
            # earlier rounds enter the selection with their summary; the full record is
            # kept only for the earlier best one
            full = (x.get("run", earlier["date"]) == r.get("run", earlier["date"])
                    and x["round"] == r["round"])
            base = r if full else {k: v for k, v in r.items() if k not in (
                "settings_tried", "repeat_seconds", "best_setting", "gflops_best_repeat")}
            cand = dict(base, **x)
            cand.setdefault("run", earlier["date"])
            if not full:
                cand["gflops"] = round(wl.gflops(x["examples_per_second"],
                                                 wl.WORKLOADS[r["workload"]].layers), 2)
                cand["best_setting"] = {}
            all_rows.append(cand)
best = {}
for r in all_rows:  # best round per (workload, threads, framework)
    key = (r["workload"], r["threads"], r["framework"])
    if key not in best or r["examples_per_second"] > best[key]["examples_per_second"]:
        best[key] = r
rows = list(best.values())
for r in rows:
    key = (r["workload"], r["threads"], r["framework"])
    r["rounds"] = [{"run": x["run"], "round": x["round"],
                    "examples_per_second": x["examples_per_second"],
                    "foreign_cpu_share": x["foreign_cpu_share"]}
                   for x in all_rows if (x["workload"], x["threads"], x["framework"]) == key]
cpu = ""
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip(); break
doc = {
    "date": now,
    "machine": {"cpu": cpu, "cpus": os.cpu_count(), "kernel": platform.release()},
    "uptimes": uptimes,
    "flops_per_example": {n: wl.WORKLOADS[n].flops_per_example for n in wl.ORDER},
    "results": rows,
}
with open(sys.argv[2], "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
order = {n: i for i, n in enumerate(wl.ORDER)}
rows.sort(key=lambda r: (order[r["workload"]], r["threads"], r["framework"]))
def setting(r):
    s = r["best_setting"]
    if r["framework"] == "pytorch":
        return f'{s["blas"]}, intra-op {s["intra_op_threads"]}, BLAS {s["blas_threads"]}'
    return s["xla_flags"] or "default"
def other(r):
    known = sorted(x for x in r.get("foreign_cpu_share", []) if x is not None)
    return f"{100 * known[len(known) // 2]:.0f}%" if known else "n/a"
print("| workload | threads | framework | examples/s | GFLOP/s | best setting | other load |")
print("| --- | ---: | --- | ---: | ---: | --- | ---: |")
for r in rows:
    fw = f'{r["framework"]} ' + (r.get("package", {}).get("python3-torch") or r["version"])
    print(f'| {r["workload"]} | {r["threads"]} | {fw} | {r["examples_per_second"]:,.0f} '
          f'| {r["gflops"]:.1f} | {setting(r)} | {other(r)} |')
print(f"\nwritten: {sys.argv[2]}", file=sys.stderr)
PY
