import Foundation
import Testing

@testable import MLPRuntime

/// What a thread saw after trying to bind itself.
private struct BindingOutcome: Sendable {
    var error: RuntimeError?
    var binding: [Int]?
    var lastCPU: Int?
}

/// Runs `body` on a new thread (never a Swift-concurrency pool thread, which must not be bound)
/// and returns its result.
private func onNewThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: body()) }.start()
    }
}

@Suite struct ThreadBindingTests {
    @Test func bindsANewThreadToEachAllowedPU() async throws {
        let machine = try TopologyLoader.real()
        for pu in machine.allowedPUs {
            let outcome = await onNewThread {
                do {
                    try ThreadBinding.bindCurrentThread(toPU: pu)
                    return BindingOutcome(
                        binding: try ThreadBinding.currentThreadBinding(), lastCPU: ThreadBinding.lastCPULocation())
                } catch {
                    return BindingOutcome(error: error as? RuntimeError)
                }
            }
            if let error = outcome.error {
                // A restricted container may refuse; that must arrive as this error, not a crash.
                #expect(error.code == .bindingRefused)
                #expect(error.message.contains("CPU \(pu)"))
            } else {
                #expect(outcome.binding == [pu])
                #expect(outcome.lastCPU == pu)
            }
        }
    }

    /// A thread given the whole allowed set (as a worker pool restores its creator) may run on
    /// all of it. (A new thread inherits its creator's binding, and tests on other threads bind
    /// theirs, so the thread sets it explicitly.)
    @Test func threadGivenTheAllowedSetMayUseAllOfIt() async throws {
        let allowed = try TopologyLoader.real().allowedPUs
        let binding = await onNewThread { () -> [Int]? in
            try? ThreadBinding.bindCurrentThread(toPU: allowed[0])
            try? ThreadBinding.bindCurrentThread(toPUs: allowed)
            return try? ThreadBinding.currentThreadBinding()
        }
        #expect(binding.map { Set($0).isSuperset(of: allowed) } == true)
    }

    @Test func bindingToAMissingPUIsAnErrorNamingIt() async throws {
        let error = await onNewThread { () -> RuntimeError? in
            do {
                try ThreadBinding.bindCurrentThread(toPU: 100_000)
                return nil
            } catch {
                return error as? RuntimeError
            }
        }
        #expect(error?.code == .invalidCPU)
        #expect(error?.message.hasPrefix("CPU 100000 does not exist on this machine") == true)
    }

    // MARK: - NUMA-local buffers

    @Test func bufferWithoutANodeIsPlainAndZeroed() {
        let buffer = NodeLocalFloatBuffer(count: 1000, numaNode: nil)
        #expect(buffer.allocation == .plain(reason: "no NUMA node requested"))
        #expect(buffer.count == 1000)
        buffer.withUnsafeBufferPointer { values in #expect(values.allSatisfy { $0 == 0 }) }
        buffer.withUnsafeMutableBufferPointer { values in
            #expect(Int(bitPattern: values.baseAddress) % NodeLocalFloatBuffer.alignment == 0)
            for index in values.indices { values[index] = Float(index) }
        }
        buffer.withUnsafeBufferPointer { values in #expect(values[999] == 999) }
    }

    @Test func bufferOnTheRealMachinesNodes() throws {
        let machine = try TopologyLoader.real()
        for node in machine.numaNodes.map(\.index) {
            let buffer = NodeLocalFloatBuffer(count: 1 << 16, numaNode: node)
            if machine.numaNodes.count == 1 {
                #expect(buffer.allocation == .plain(reason: "one NUMA node: binding memory gains nothing"))
            } else if case .boundToNode(let bound) = buffer.allocation {
                #expect(bound == node)
                #expect(buffer.residentNUMANodes() == [node])
            } else {
                #expect(buffer.allocation.description.contains("refused"))
            }
        }
        let missing = NodeLocalFloatBuffer(count: 4, numaNode: 4096)
        #expect(missing.allocation.description.contains("NUMA node 4096 does not exist"))
    }

    @Test func membindPathWorksOrReportsTheRefusal() throws {
        // Forces hwloc_alloc_membind even on a one-node machine, so the path runs everywhere.
        let node = try #require(try TopologyLoader.real().numaNodes.first?.index)
        let buffer = NodeLocalFloatBuffer(count: 100_003, numaNode: node, bindOnOneNodeMachine: true)
        switch buffer.allocation {
        case .boundToNode(let bound):
            #expect(bound == node)
            #expect(buffer.residentNUMANodes() == [node])
            buffer.withUnsafeMutableBufferPointer { values in
                #expect(values.allSatisfy { $0 == 0 })
                values[100_002] = 1.5
            }
            buffer.withUnsafeBufferPointer { values in #expect(values[100_002] == 1.5) }
        case .plain(let reason):
            #expect(reason.hasPrefix("hwloc_alloc_membind on NUMA node \(node) was refused"))
        }
    }

    @Test func emptyBufferIsFine() {
        let buffer = NodeLocalFloatBuffer(count: 0, numaNode: 0)
        #expect(buffer.count == 0)
        buffer.withUnsafeBufferPointer { #expect($0.isEmpty) }
    }
}
