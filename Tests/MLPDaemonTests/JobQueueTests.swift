import Foundation
import MLPDaemon
import Testing

@Suite struct JobQueueTests {
    func record(_ id: String, priority: Int = 0, state: JobState = .queued) -> JobRecord {
        var r = JobRecord(id: id, name: nil, file: "job.yaml", priority: priority, submittedAt: Date(), workingDirectory: nil,
                          directory: "/state/jobs/\(id)")
        r.state = state
        return r
    }

    @Test func runsByPriorityThenArrivalWithInterruptedJobsFirst() {
        var queue = JobQueue(records: [record("a"), record("b", state: .running), record("c", priority: 5),
                                       record("d", state: .succeeded)], limit: 10)
        queue.insert(record("e", priority: 5))
        queue.insert(record("f", priority: -1))
        var order: [String] = []
        var resumed: [Bool] = []
        while let (r, resume) = queue.startNext(now: Date()) {
            order.append(r.id)
            resumed.append(resume)
            #expect(r.state == .running && r.starts == 1)
            var done = r
            done.state = .succeeded
            queue.finishRunning(done)
        }
        #expect(order == ["b", "c", "e", "a", "f"])
        #expect(resumed == [true, false, false, false, false])
    }

    @Test func cancelReturnsWhatToDo() {
        var queue = JobQueue(records: [record("a"), record("b"), record("c", state: .failed)], limit: 10)
        guard case .persist(let cancelled)? = queue.cancel("b", now: Date()) else {
            Issue.record("a queued job is cancelled at once")
            return
        }
        #expect(cancelled.state == .cancelled && cancelled.finishedAt != nil)
        #expect(queue.cancel("c", now: Date()) == .alreadyEnded(.failed))
        #expect(queue.cancel("zz", now: Date()) == nil)
        let (running, _) = queue.startNext(now: Date())!
        #expect(running.id == "a")
        #expect(queue.cancel("a", now: Date()) == .stopRun)
    }

    @Test func stoppedRunningJobResumesFirst() {
        var queue = JobQueue(records: [record("a"), record("b")], limit: 10)
        let (a, _) = queue.startNext(now: Date())!
        queue.finishRunning(a)  // still running: the daemon is stopping
        #expect(queue.waitingCount == 2)
        let (again, resume) = queue.startNext(now: Date())!
        #expect(again.id == "a" && resume && again.starts == 2)
    }

    @Test func capacityCountsWaitingAndReservedJobs() throws {
        var queue = JobQueue(records: [], limit: 2)
        queue.insert(record("a"))
        try queue.checkCapacity()
        #expect(throws: DaemonError.self) { try queue.checkCapacity(reserving: 1) }
        queue.insert(record("b"))
        #expect(throws: DaemonError.self) { try queue.checkCapacity() }
        #expect(queue.countsByState[.queued] == 2 && queue.countsByState[.running] == 0)
    }
}
