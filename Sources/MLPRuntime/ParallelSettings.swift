/// What a job asks of the machine: how many workers, where to put them, and how to reduce their
/// gradients. The typed form of a config's `parallel` section (keys `threads`, `placement`,
/// `smt`, `cpus`, `fan_in`) and of `--threads`.
///
/// Validation against a machine happens in `PlacementPlan.make(topology:settings:)`, which
/// names the key at fault (`parallel.threads`, `parallel.cpus`, `parallel.fan_in`).
public struct ParallelSettings: Sendable, Equatable {
    /// How many workers (threads) to run.
    public enum ThreadCount: Sendable, Equatable {
        /// One per allowed physical core, or one per allowed PU when `smt` is true; with an
        /// explicit CPU list, one per listed CPU.
        case auto
        /// Exactly this many (at least 1). More than the machine has is honoured with a
        /// warning in the plan, never clamped.
        case count(Int)
    }

    /// Where workers go.
    public enum Placement: Sendable, Equatable {
        /// Spread across NUMA nodes round-robin, so each node gets a balanced share; one worker
        /// per physical core before any SMT sibling. The default.
        case numa
        /// Fill cores in order: node 0's cores first, then node 1's … (with `smt: true`, both
        /// PUs of a core before the next core).
        case compact
        /// No binding: the kernel schedules the workers; buffers use plain allocation.
        case none
        /// Exactly these PUs (OS indices), worker `i` on `cpus[i]`. Every CPU must exist and
        /// be allowed.
        case cpus([Int])

        /// The config spelling: `numa`, `compact`, `none` or `cpus`.
        public var name: String {
            switch self {
            case .numa: "numa"
            case .compact: "compact"
            case .none: "none"
            case .cpus: "cpus"
            }
        }
    }

    /// `parallel.threads`: `auto` (default) or a count.
    public var threads: ThreadCount
    /// `parallel.placement` (default `numa`), or `parallel.cpus` for an explicit list.
    public var placement: Placement
    /// `parallel.smt`: whether workers may share a physical core by design (default false).
    /// With false, workers beyond the physical cores still run (on SMT siblings, then
    /// oversubscribed) and the plan carries a warning.
    public var smt: Bool
    /// `parallel.fan_in`: how many partial gradients one reduction step combines (default 2,
    /// at least 2).
    public var fanIn: Int

    /// Settings with the documented defaults: `threads: auto`, `placement: numa`,
    /// `smt: false`, `fan_in: 2`.
    public init(threads: ThreadCount = .auto, placement: Placement = .numa, smt: Bool = false, fanIn: Int = 2) {
        self.threads = threads
        self.placement = placement
        self.smt = smt
        self.fanIn = fanIn
    }
}
