import MLPRuntime
import Testing

@Suite struct PlacementPlanTests {
    let machine: Topology

    init() throws { machine = try TopologyLoader.synthetic(fourNodeSpec) }

    private func plan(_ threads: Int, _ placement: ParallelSettings.Placement = .numa, smt: Bool = false) throws
        -> PlacementPlan
    {
        try PlacementPlan.make(
            topology: machine, settings: ParallelSettings(threads: .count(threads), placement: placement, smt: smt))
    }

    // MARK: - numa

    @Test func sixteenThreadsOnePerCoreFourPerNode() throws {
        let plan = try plan(16)
        #expect(plan.workers.map(\.index) == Array(0..<16))
        #expect(plan.workers.map(\.numaNode) == (0..<16).map { $0 / 4 })
        #expect(Set(plan.workers.compactMap(\.core)).count == 16)
        // No two workers on sibling PUs: every PU is its core's first.
        for worker in plan.workers {
            #expect(machine.core(ofPU: worker.pu!)?.pus.first == worker.pu)
            #expect(machine.core(ofPU: worker.pu!)?.index == worker.core)
        }
        #expect(plan.warnings.isEmpty)
        #expect(plan.policy == "numa")
        #expect(!plan.bindsThreads)  // synthetic: planning only
    }

    @Test func fiveThreadsSpreadTwoOneOneOne() throws {
        let plan = try plan(5)
        #expect(workersPerNode(plan) == [0: 2, 1: 1, 2: 1, 3: 1])
        #expect(plan.workers.map(\.numaNode) == [0, 0, 1, 2, 3])
        #expect(Set(plan.workers.compactMap(\.core)).count == 5)
        #expect(plan.warnings.isEmpty)
    }

    @Test func thirtyThreeThreadsUseOneSiblingAndWarn() throws {
        let plan = try plan(33)
        #expect(plan.workers.count == 33)
        #expect(Set(plan.workers.compactMap(\.pu)).count == 33)  // not oversubscribed
        #expect(Set(plan.workers.compactMap(\.core)).count == 32)  // every core once, one twice
        #expect(workersPerNode(plan) == [0: 9, 1: 8, 2: 8, 3: 8])
        #expect(plan.warnings.count == 1)
        #expect(plan.warnings.first?.contains("33 workers for 32 allowed physical cores: 1 worker runs on SMT") == true)
    }

    @Test func beyondAllPUsOversubscribesRoundRobinAndWarns() throws {
        let plan = try plan(66)
        #expect(Set(plan.workers.compactMap(\.pu)) == Set(0..<64))
        let perPU = Dictionary(grouping: plan.workers, by: { $0.pu! }).mapValues(\.count)
        #expect(perPU.values.max() == 2)
        #expect(perPU.filter { $0.value == 2 }.count == 2)
        #expect(plan.warnings.count == 2)
        #expect(plan.warnings.last?.contains("66 workers for 64 allowed PUs: 2 workers share PUs") == true)
    }

    @Test func smtTrueSpreadsCoresFirstWithoutWarning() throws {
        let plan = try plan(40, smt: true)
        #expect(Set(plan.workers.compactMap(\.core)).count == 32)
        #expect(workersPerNode(plan) == [0: 10, 1: 10, 2: 10, 3: 10])
        #expect(plan.warnings.isEmpty)
    }

    @Test func autoIsOnePerPhysicalCoreOrPerPU() throws {
        let cores = try PlacementPlan.make(topology: machine, settings: ParallelSettings())
        #expect(cores.workers.count == 32)
        #expect(Set(cores.workers.compactMap(\.core)).count == 32)
        let pus = try PlacementPlan.make(topology: machine, settings: ParallelSettings(smt: true))
        #expect(pus.workers.count == 64)
        #expect(Set(pus.workers.compactMap(\.pu)).count == 64)
        #expect(cores.warnings.isEmpty && pus.warnings.isEmpty)
    }

    @Test func spreadSkipsIntelStyleSiblings() throws {
        // Linux numbering on Intel: core c has PUs c and c + 8.
        let intel = handBuiltMachine(
            packages: 1, nodesPerPackage: 1, coresPerNode: 8, pusPerCore: 2, siblingsApart: true)
        let plan = try PlacementPlan.make(topology: intel, settings: ParallelSettings(threads: .count(10)))
        #expect(plan.workers.map(\.pu) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
        #expect(plan.workers.map(\.core) == [0, 1, 2, 3, 4, 5, 6, 7, 0, 1])
    }

    // MARK: - compact and none

    @Test func compactFillsNodeZeroFirst() throws {
        let plan = try plan(8, .compact)
        #expect(plan.workers.map(\.pu) == [0, 2, 4, 6, 8, 10, 12, 14])
        #expect(plan.workers.allSatisfy { $0.numaNode == 0 })
        let spread = try self.plan(8)
        #expect(workersPerNode(spread) == [0: 2, 1: 2, 2: 2, 3: 2])
        #expect(spread.workers.map(\.pu) == [0, 2, 16, 18, 32, 34, 48, 50])
    }

    @Test func compactWithSMTPacksSiblingsTogether() throws {
        let plan = try plan(20, .compact, smt: true)
        #expect(plan.workers.map(\.pu) == Array(0..<20))
        #expect(workersPerNode(plan) == [0: 16, 1: 4])
    }

    @Test func compactWithoutSMTUsesSiblingsOnlyAfterAllCores() throws {
        let plan = try plan(34, .compact)
        // The two siblings are taken last, but numbered with node 0's workers.
        #expect(plan.workers.prefix(10).map(\.pu) == [0, 2, 4, 6, 8, 10, 12, 14, 1, 3])
        #expect(plan.workers.dropFirst(10).map(\.pu) == (8..<32).map { 2 * $0 })
        #expect(plan.warnings.count == 1)
    }

    @Test func noneBindsNothing() throws {
        let plan = try plan(3, .none)
        #expect(
            plan.workers == (0..<3).map { WorkerPlacement(index: $0, pu: nil, core: nil, package: nil, numaNode: nil) })
        #expect(!plan.bindsThreads)
        #expect(plan.policy == "none")
        #expect(try self.plan(65, .none).warnings.count == 1)
    }

    // MARK: - Explicit CPU lists

    @Test func explicitCPUsInListOrder() throws {
        let plan = try PlacementPlan.make(topology: machine, settings: ParallelSettings(placement: .cpus([34, 0, 2])))
        #expect(plan.workers.map(\.pu) == [34, 0, 2])
        #expect(plan.workers.map(\.numaNode) == [2, 0, 0])
        #expect(plan.workers.map(\.core) == [17, 0, 1])
        #expect(plan.warnings.isEmpty)
        #expect(plan.policy == "cpus")
    }

    @Test func explicitSiblingsWarnWithoutSMT() throws {
        let plan = try PlacementPlan.make(topology: machine, settings: ParallelSettings(placement: .cpus([0, 1])))
        #expect(plan.warnings == ["parallel.cpus: CPUs 0 and 1 are SMT siblings on core 0 although smt is false"])
        let allowed = try PlacementPlan.make(
            topology: machine, settings: ParallelSettings(placement: .cpus([0, 1]), smt: true))
        #expect(allowed.warnings.isEmpty)
    }

    @Test(arguments: [
        (
            ParallelSettings(placement: .cpus([0, 99])), RuntimeError.Code.invalidCPU,
            "parallel.cpus: CPU 99 does not exist on this machine (PUs 0-63)"
        ),
        (ParallelSettings(placement: .cpus([4, 4])), .invalidCPU, "parallel.cpus: CPU 4 is listed twice"),
        (ParallelSettings(placement: .cpus([-1])), .invalidCPU, "parallel.cpus: CPU -1 does not exist"),
        (ParallelSettings(placement: .cpus([])), .invalidSettings, "parallel.cpus: the list is empty"),
        (
            ParallelSettings(threads: .count(2), placement: .cpus([0, 2, 4])), .invalidSettings,
            "parallel.threads: 2 does not match the 3 CPUs in parallel.cpus"
        ),
        (ParallelSettings(threads: .count(0)), .invalidSettings, "parallel.threads: must be at least 1"),
        (ParallelSettings(fanIn: 1), .invalidSettings, "parallel.fan_in: must be at least 2, got 1"),
    ])
    func badSettingsNameTheKey(settings: ParallelSettings, code: RuntimeError.Code, message: String) {
        #expect {
            try PlacementPlan.make(topology: machine, settings: settings)
        } throws: { error in
            let error = error as? RuntimeError
            return error?.code == code && error?.message.hasPrefix(message) == true
        }
    }

    // MARK: - Allowed set

    @Test func explicitCPUOutsideTheAllowedSetIsRejected() throws {
        let restricted = machine.restricted(toPUs: Array(0..<8))
        #expect {
            try PlacementPlan.make(topology: restricted, settings: ParallelSettings(placement: .cpus([2, 9])))
        } throws: { error in
            (error as? RuntimeError)?.message.hasPrefix(
                "parallel.cpus: CPU 9 is not in the set this process may use (allowed: 0-7;")
                == true
        }
    }

    @Test func onlyAllowedPUsCount() throws {
        // Two nodes' PUs allowed, as a cgroup cpuset or `taskset -c 0-31` would leave.
        let viaHwloc = try TopologyLoader.synthetic(fourNodeSpec, allowedPUs: Array(0..<32))
        let plan = try PlacementPlan.make(topology: viaHwloc, settings: ParallelSettings())
        #expect(plan.workers.count == 16)
        #expect(workersPerNode(plan) == [0: 8, 1: 8])
        #expect(plan.workers.allSatisfy { $0.pu! < 32 && $0.pu! % 2 == 0 })
        // The pure restriction gives the same plan as hwloc's allowed set.
        let pure = try PlacementPlan.make(
            topology: machine.restricted(toPUs: Array(0..<32)), settings: ParallelSettings())
        #expect(pure == plan)
    }

    @Test func unevenAllowedSetsStayBalanced() throws {
        // Node 1 keeps only 2 cores (PUs 16-19); the other nodes keep all 8.
        let allowed = Array(0..<16) + Array(16..<20) + Array(32..<64)
        let restricted = machine.restricted(toPUs: allowed)
        let plan = try PlacementPlan.make(topology: restricted, settings: ParallelSettings(threads: .count(12)))
        #expect(workersPerNode(plan) == [0: 4, 1: 2, 2: 3, 3: 3])
        let sibling = try PlacementPlan.make(topology: restricted, settings: ParallelSettings(threads: .count(27)))
        // 26 cores, then one sibling: the turn continues at the node after the last one served.
        #expect(workersPerNode(sibling) == [0: 8, 1: 3, 2: 8, 3: 8])
    }

    @Test func noAllowedCPUIsAnError() {
        #expect {
            try PlacementPlan.make(topology: machine.restricted(toPUs: []), settings: ParallelSettings())
        } throws: { error in
            (error as? RuntimeError)?.code == .noAllowedCPUs
        }
    }

    @Test func realMachinePlanUsesAllowedCores() throws {
        let real = try TopologyLoader.real()
        let plan = try PlacementPlan.make(topology: real, settings: ParallelSettings())
        let allowed = Set(real.allowedPUs)
        #expect(plan.workers.count == real.cores.filter { $0.pus.contains(where: allowed.contains) }.count)
        #expect(plan.workers.allSatisfy { allowed.contains($0.pu!) })
        #expect(plan.bindsThreads)
    }
}
