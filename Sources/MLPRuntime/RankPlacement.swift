/// The CPUs each MPI rank's workers may use, from the sets `mpirun` bound the ranks to.
///
/// `mpirun` binds each rank (`--bind-to core|socket|numa|none`, `--map-by …`); mlpd then places
/// the rank's workers inside that set (`PlacementPlan`). Two ranks on one host that were given
/// the same set — `--bind-to none`, an oversubscribed launch, a socket binding with two ranks
/// per socket — would put their workers on the same PUs, so the ranks split that set between
/// them by whole cores, in rank order, and say so. Sets that overlap without being equal cannot
/// be split fairly: that is reported as a contradiction to fix in the launch command.
public enum RankPlacement {
    /// What a rank reports about itself.
    public struct Member: Sendable, Equatable {
        public var host: String
        public var allowedPUs: [Int]

        public init(host: String, allowedPUs: [Int]) {
            self.host = host
            self.allowedPUs = allowedPUs
        }

        /// `host` and the PU list as one line (for an exchange of bytes between ranks).
        public var encoded: String { host + "\t" + allowedPUs.map(String.init).joined(separator: ",") }

        public init?(encoded: String) {
            let parts = encoded.split(separator: "\t", omittingEmptySubsequences: false)
            guard parts.count == 2 else { return nil }
            host = String(parts[0])
            allowedPUs = parts[1].split(separator: ",").compactMap { Int($0) }
        }
    }

    /// The PUs rank `rank` should use on `topology` (its own host's machine), and warnings that
    /// are the same on every rank (for rank 0 to print).
    public static func share(of rank: Int, members: [Member], topology: Topology) -> (pus: [Int], warnings: [String]) {
        var warnings: [String] = []
        let hosts = Set(members.map(\.host)).sorted()
        for host in hosts {
            let here = members.indices.filter { members[$0].host == host }
            var seen: [[Int]: [Int]] = [:]
            for r in here { seen[members[r].allowedPUs, default: []].append(r) }
            for (set, ranks) in seen.sorted(by: { $0.value[0] < $1.value[0] }) where ranks.count > 1 {
                let cores = coreCount(set, topology)
                warnings.append(
                    "ranks \(ranks.map(String.init).joined(separator: ", ")) on \(host) were all bound to PUs \(formatCPUList(set)) "
                        + "by mpirun; mlpd splits \(cores) core\(cores == 1 ? "" : "s") between them"
                        + (cores < ranks.count ? " (fewer cores than ranks: they will time-share)" : "")
                        + ". Bind each rank to its own cores instead, e.g. mpirun --map-by numa --bind-to numa")
            }
            let sets = Array(seen.keys)
            for i in sets.indices {
                for j in sets.indices where j > i && !Set(sets[i]).isDisjoint(with: sets[j]) {
                    let (a, b) = (seen[sets[i]]![0], seen[sets[j]]![0])
                    warnings.append(
                        "ranks \(min(a, b)) and \(max(a, b)) on \(host) are bound to overlapping PU sets "
                            + "(\(formatCPUList(members[min(a, b)].allowedPUs)) and \(formatCPUList(members[max(a, b)].allowedPUs))): "
                            + "their workers will compete for the shared PUs; give each rank disjoint CPUs "
                            + "(--bind-to core with --map-by ppr:N:numa:PE=T, or one rank per NUMA node)")
                }
            }
        }
        let mine = members[rank]
        let peers = members.indices.filter { members[$0].host == mine.host && members[$0].allowedPUs == mine.allowedPUs }
        guard peers.count > 1 else { return (mine.allowedPUs, warnings.sorted()) }
        let allowed = Set(mine.allowedPUs)
        let cores = topology.cores.map { $0.pus.filter { allowed.contains($0) } }.filter { !$0.isEmpty }
        guard !cores.isEmpty else { return (mine.allowedPUs, warnings.sorted()) }
        let (k, n) = (peers.count, cores.count)
        let i = peers.firstIndex(of: rank)!
        let share = n >= k ? Array(cores[(i * n / k)..<((i + 1) * n / k)].joined()) : cores[i % n]
        return (share.sorted(), warnings.sorted())
    }

    private static func coreCount(_ pus: [Int], _ topology: Topology) -> Int {
        let set = Set(pus)
        return topology.cores.filter { !set.isDisjoint(with: $0.pus) }.count
    }
}
