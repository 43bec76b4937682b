#!/usr/bin/env bash
# mlpd, PyTorch and JAX side by side on the bench workloads, in one run: for each round and
# workload, `mlpd bench` (its thread counts alternating, with its ceiling measured on the same
# workers) and Benchmarks/peers/run.sh (PyTorch and JAX, alternating) run back to back, the
# order of mlpd and the peers swapping every round so neither always runs first. Writes a
# Markdown table and the raw results.
#
#   Benchmarks/compare.sh [--threads 1,2] [--workloads small,wide,large] [--steps N]
#                         [--warmup N] [--repeats N] [--rounds K] [--out DIR]
#
# Per cell the table gives the median over rounds (each round's figure is itself the median of
# --repeats timed repeats) of examples/s; the ratios are mlpd over the peer in the same rounds.
# A second table gives each round on its own, with the ceiling mlpd measured right after its
# steps, and marks the rounds in which every ceiling was within 10 % of the run's best for that
# workload and thread count ("quiet": on a shared machine, the rounds no slow phase reached;
# relative to the run, so in a run that never left a slow phase its best rounds are marked
# too: the ceilings themselves say which it was).
# Needs a release build of mlpd (built here if missing or stale: `swift build -c release`);
# run.sh sets up PyTorch and JAX and checks their math once, before the first round.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
command_line="Benchmarks/compare.sh $*"
threads="1,2" workloads="small,wide,large" steps=20 warmup=3 repeats=3 rounds=1
out="$ROOT/Benchmarks/results"

die() { echo "compare.sh: $*" >&2; exit 1; }
need_arg() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --threads)   need_arg "$@"; threads="$2"; shift 2 ;;
    --workloads) need_arg "$@"; workloads="$2"; shift 2 ;;
    --steps)     need_arg "$@"; steps="$2"; shift 2 ;;
    --warmup)    need_arg "$@"; warmup="$2"; shift 2 ;;
    --repeats)   need_arg "$@"; repeats="$2"; shift 2 ;;
    --rounds)    need_arg "$@"; rounds="$2"; shift 2 ;;
    --out)       need_arg "$@"; out="$2"; shift 2 ;;
    -h|--help)   sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done
for v in steps warmup repeats rounds; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || die "--$v wants a non-negative integer, got '${!v}'"
done
[[ $steps -ge 1 && $repeats -ge 1 && $rounds -ge 1 ]] || die "--steps, --repeats and --rounds must be at least 1"
[[ "$threads" =~ ^[0-9]+(,[0-9]+)*$ ]] || die "--threads wants e.g. 1,2, got '$threads'"
for w in ${workloads//,/ }; do
  [[ -r "$ROOT/configs/bench/$w.yaml" ]] || die "--workloads: no configs/bench/$w.yaml"
done

cd "$ROOT"
echo "compare.sh: swift build -c release" >&2
swift build -c release >&2 || die "swift build -c release failed"
MLPD="$ROOT/.build/release/mlpd"
mkdir -p "$out"
raw="$out/raw"
rm -rf "$raw" && mkdir -p "$raw"

# Set up the peers and check their math once (a tiny run whose figures are not used).
setup_out=$(mktemp); trap 'rm -f "$setup_out"' EXIT
"$ROOT/Benchmarks/peers/run.sh" --threads 1 --workloads small --steps 1 --warmup 0 --repeats 1 \
  --out "$setup_out" >/dev/null || die "Benchmarks/peers/run.sh (setup and math check) failed"

run_mlpd() {
  echo "compare.sh: round $1/$rounds, $2: mlpd bench --threads $threads (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  "$MLPD" bench "configs/bench/$2.yaml" --threads "$threads" --steps "$steps" --warmup "$warmup" \
    --repeats "$repeats" --json >"$raw/mlpd-$2-$1.json" || die "mlpd bench $2 failed"
}
run_peers() {
  echo "compare.sh: round $1/$rounds, $2: PyTorch and JAX --threads $threads" >&2
  "$ROOT/Benchmarks/peers/run.sh" --no-setup --no-check --threads "$threads" --workloads "$2" \
    --steps "$steps" --warmup "$warmup" --repeats "$repeats" --out "$raw/peers-$2-$1.json" >/dev/null \
    || die "Benchmarks/peers/run.sh $2 failed"
}
before=$(uptime)
for ((k = 1; k <= rounds; k++)); do
  for w in ${workloads//,/ }; do
    if ((k % 2)); then run_mlpd "$k" "$w"; run_peers "$k" "$w"; else run_peers "$k" "$w"; run_mlpd "$k" "$w"; fi
  done
done
after=$(uptime)

UPTIME_BEFORE="$before" UPTIME_AFTER="$after" COMMAND="$command_line" \
python3 - "$raw" "$out" "$workloads" "$threads" "$rounds" <<'PY'
import json, os, statistics, sys, datetime
raw, out, workloads, threads, rounds = sys.argv[1], sys.argv[2], sys.argv[3].split(","), \
    [int(t) for t in sys.argv[4].split(",")], int(sys.argv[5])
rows, machine = [], None
for w in workloads:
    for t in threads:
        cell = {"workload": w, "threads": t, "mlpd": [], "pytorch": [], "jax": [],
                "mlpd_gflops": [], "ceiling_gflops": [], "ceiling_share": [], "speedup": []}
        for k in range(1, rounds + 1):
            m = json.load(open(f"{raw}/mlpd-{w}-{k}.json"))
            machine = m["machine"]
            r = next(r for r in m["results"] if r["threads"] == t)
            cell["mlpd"].append(r["examples_per_second"])
            cell["mlpd_gflops"].append(r["gflops"])
            cell["ceiling_gflops"].append(r["ceiling_gflops"])
            cell["ceiling_share"].append(r["ceiling_share"])
            cell["speedup"].append(r["speedup"])
            p = json.load(open(f"{raw}/peers-{w}-{k}.json"))
            for x in p["results"]:
                if x["workload"] == w and x["threads"] == t:
                    cell[x["framework"]].append(x["examples_per_second"])
        med = {key: statistics.median(v) for key, v in cell.items() if isinstance(v, list) and v}
        rows.append(dict(workload=w, threads=t, rounds=cell, median=med))
doc = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
       "command": os.environ["COMMAND"], "machine": machine,
       "uptime_before": os.environ["UPTIME_BEFORE"].strip(), "uptime_after": os.environ["UPTIME_AFTER"].strip(),
       "rows": rows}
json.dump(doc, open(f"{out}/compare.json", "w"), indent=1)
lines = ["| workload | threads | mlpd examples/s | mlpd GFLOP/s | % of ceiling | speedup | PyTorch examples/s | JAX examples/s | mlpd / PyTorch | mlpd / JAX |",
         "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
def f(x, fmt): return format(x, fmt) if x is not None else "n/a"
for r in rows:
    m = r["median"]
    # ratios per round (same round, same minutes), then the median
    def ratio(peer):
        pairs = [a / b for a, b in zip(r["rounds"]["mlpd"], r["rounds"][peer]) if b]
        return statistics.median(pairs) if pairs else None
    lines.append(f'| {r["workload"]} | {r["threads"]} | {f(m.get("mlpd"), ",.0f")} | {f(m.get("mlpd_gflops"), ".1f")} '
                 f'| {f(100 * m["ceiling_share"], ".0f")}% of {f(m.get("ceiling_gflops"), ".0f")} | {f(m.get("speedup"), ".2f")} '
                 f'| {f(m.get("pytorch"), ",.0f")} | {f(m.get("jax"), ",.0f")} | {f(ratio("pytorch"), ".2f")}× | {f(ratio("jax"), ".2f")}× |')
# Each round on its own. A shared machine's slow phases show in the ceiling mlpd measured right
# after its steps; a round is "quiet" where that ceiling is within 10 % of the best this run
# measured for the same workload and thread count, at every thread count. Cells list the thread counts in order.
best = {(r["workload"], r["threads"]): max(r["rounds"]["ceiling_gflops"]) for r in rows}
def per_round(w, k, key):
    return [next(x for x in rows if x["workload"] == w and x["threads"] == t)["rounds"][key][k] for t in threads]
def cell(values, fmt, suffix=""):
    return ", ".join(f(v, fmt) + (suffix if v is not None else "") for v in values)
lines += ["", "Each round (cells: thread counts " + ", ".join(map(str, threads)) + "; quiet: every ceiling within 10 % "
          "of the run's best for that workload and thread count):", "",
          "| workload | round | mlpd's ceiling, GFLOP/s | % of ceiling | mlpd / JAX | mlpd / PyTorch | speedup | quiet |",
          "| --- | ---: | --- | --- | --- | --- | ---: | --- |"]
for w in workloads:
    for k in range(rounds):
        ceilings = per_round(w, k, "ceiling_gflops")
        quiet = all(c >= 0.9 * best[(w, t)] for c, t in zip(ceilings, threads))
        mlpd = per_round(w, k, "mlpd")
        def vs(peer):
            return [a / b if b else None for a, b in zip(mlpd, per_round(w, k, peer))]
        lines.append(f'| {w} | {k + 1} | {cell(ceilings, ".0f")} | {cell([100 * x for x in per_round(w, k, "ceiling_share")], ".0f", "%")} '
                     f'| {cell(vs("jax"), ".2f", "×")} | {cell(vs("pytorch"), ".2f", "×")} '
                     f'| {f(per_round(w, k, "speedup")[-1], ".2f")} | {"yes" if quiet else ""} |')
mach = machine or {}
table = "\n".join(lines) + "\n"
header = (f'Machine: {mach.get("cpu_model")}, {mach.get("cores")} cores / {mach.get("pus")} PUs, '
          f'{mach.get("numa_nodes")} NUMA node(s), kernels {mach.get("isa_compiled")}, {mach.get("compiler")}. '
          f'Load before: {os.environ["UPTIME_BEFORE"].strip()}; after: {os.environ["UPTIME_AFTER"].strip()}.\n\n')
open(f"{out}/compare.md", "w").write(header + table)
print(header + table)
PY
echo "compare.sh: written $out/compare.md and $out/compare.json (raw results in $raw)" >&2
