import Foundation
import Logging
import MLPConfig
@testable import MLPDaemon
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct JobIDTests {
    @Test func identifiersSortInOrderAndStayUniqueWhenTheClockStandsStillOrGoesBack() {
        var ids = JobIDGenerator()
        let now = Date(timeIntervalSince1970: 1_795_000_000.25)
        let a = ids.next(now: now), b = ids.next(now: now), c = ids.next(now: now.addingTimeInterval(-3600))
        #expect(a < b && b < c)
        #expect(a == "20261118-110640-250000")  // date -u -d @1795000000
        #expect(JobIDGenerator.microseconds(of: b) == JobIDGenerator.microseconds(of: a)! + 1)
        // A restart continues after the largest existing identifier, whatever the clock says.
        var restarted = JobIDGenerator(continuingAfter: [a, c, "not-an-id", "20260231-000000-000000"])
        #expect(restarted.next(now: now.addingTimeInterval(-86400)) > c)
    }
}

@Suite struct DaemonConfigTests {
    @Test func emptyFileGivesTheDefaults() throws {
        let config = try DaemonConfig.parse(yaml: "", file: "mlpd.yaml")
        #expect(config == DaemonConfig())
        #expect(config.listen == .socket(path: "/run/mlpd/mlpd.sock"))
        #expect(config.checkpoint == .init(everySteps: 1000, everySeconds: 300, keep: 3))
    }

    @Test func readsEveryKey() throws {
        let config = try DaemonConfig.parse(yaml: """
            state_dir: /srv/mlpd
            listen: {host: 127.0.0.1, port: 8750, token_file: /etc/mlpd/token}
            queue_limit: 5
            checkpoint: {every_steps: null, every_seconds: 30, keep: 1}
            allowed_data_roots: [/srv/data]
            start_jobs: false
            log_level: debug
            parallel: {threads: 4}
            testing: {step_delay_ms: 3}
            """, file: "mlpd.yaml")
        #expect(config.listen == .tcp(host: "127.0.0.1", port: 8750, tokenFile: "/etc/mlpd/token"))
        #expect(config.checkpoint == .init(everySteps: nil, everySeconds: 30, keep: 1))
        #expect(config.queueLimit == 5 && !config.startJobs && config.logLevel == "debug")
        #expect(config.parallelThreads == 4 && config.stepDelayMilliseconds == 3 && config.allowedDataRoots == ["/srv/data"])
    }

    @Test(arguments: [
        ("queue_limt: 3", "mlpd.yaml:1:1: unknown top-level key 'queue_limt'; did you mean 'queue_limit'?"),
        ("checkpoint: {keep: 0}", "mlpd.yaml:1:20: checkpoint.keep: expected an integer ≥ 1, found '0'"),
        ("listen: {host: 10.0.0.1, port: 80, token_file: /t}", "mlpd.yaml:1:16: listen.host: the API is plain HTTP"),
        ("listen: {host: 127.0.0.1, port: 80}", "missing required key listen.token_file"),
        ("listen: {socket: /s, port: 80}", "listen.port applies to TCP listening, not a Unix socket"),
        ("allowed_data_roots: [data]", "allowed_data_roots[0]: expected an absolute directory path"),
        ("log_level: loud", "log_level: expected one of trace, debug"),
        ("parallel: {threads: 0}", "parallel.threads: expected auto or an integer ≥ 1, found '0'"),
        ("- a", "expected a mapping of daemon settings"),
    ])
    func errorsNameTheKeyAndPlace(yaml: String, expected: String) {
        do {
            _ = try DaemonConfig.parse(yaml: yaml, file: "mlpd.yaml")
            Issue.record("\(yaml) should be refused")
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    @Test func theExampleConfigParses() throws {
        let path = Paths.repository.appendingPathComponent("configs/mlpd.yaml").path
        let config = try DaemonConfig.load(path: path)
        #expect(config.listen == .socket(path: DaemonConfig.defaultSocketPath))
        #expect(config.stateDirectory == "/var/lib/mlpd")
    }

    @Test func outputDirectoryOverrideKeepsAnyPath() throws {
        let odd = "/tmp/a dir/with \"quotes\" and: colons"
        let job = try JobConfig.parse(yaml: digitsJob(), file: "job.yaml", overrides: [DaemonConfig.outputDirectoryOverride(odd)])
        #expect(job.output.dir == odd)
    }
}

@Suite struct SafetyTests {
    @Test func dataRootsResolveDotDotAndLinks() throws {
        let scratch = try Scratch()
        try FileManager.default.createDirectory(atPath: scratch.file("root/sub"), withIntermediateDirectories: true)
        try "x".write(toFile: scratch.file("root/sub/in.csv"), atomically: true, encoding: .utf8)
        try "x".write(toFile: scratch.file("out.csv"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: scratch.file("root/link.csv"), withDestinationPath: scratch.file("out.csv"))
        try FileManager.default.createSymbolicLink(atPath: scratch.file("alias"), withDestinationPath: scratch.file("root"))
        let roots = DataRoots([scratch.file("alias"), scratch.file("missing")])
        #expect(roots.unusable.count == 1)
        #expect(try roots.check(scratch.file("root/sub/../sub/in.csv"), key: "k") == scratch.file("root/sub/in.csv"))
        #expect(throws: DaemonError.self) { try roots.check(scratch.file("root/../out.csv"), key: "k") }
        #expect(throws: DaemonError.self) { try roots.check(scratch.file("root/link.csv"), key: "k") }
        #expect(throws: DaemonError.self) { try roots.check(scratch.file("rootx"), key: "k") }
    }

    @Test func tokenComparison() {
        let t = Array("0123456789abcdef".utf8)
        #expect(constantTimeEqual(t, t))
        #expect(!constantTimeEqual(t, Array("0123456789abcdeg".utf8)))
        #expect(!constantTimeEqual(t, Array("0123456789abcde".utf8)))
        #expect(!constantTimeEqual(t, []))
    }
}

@Suite struct NotifyAndLogTests {
    @Test(arguments: [false, true])
    func notifierSendsToPathAndAbstractSockets(abstract: Bool) async throws {
        let scratch = try Scratch()
        let listener = try NotifyListener(path: abstract ? "@mlpd-test-\(UInt32.random(in: 0 ... .max))" : scratch.file("n.sock"))
        defer { listener.close() }
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "2000000"])
        #expect(notifier.watchdogPingInterval == .seconds(1))
        notifier.ready(status: "idle")
        notifier.watchdogPing()
        notifier.watchdogPing()  // within half the interval: not sent
        notifier.stopping()
        try await listener.waitFor("STOPPING=1")
        #expect(listener.all == ["READY=1\nSTATUS=idle", "WATCHDOG=1", "STOPPING=1\nSTATUS=stopping"])
    }

    @Test func watchdogBelongsToTheNamedProcessOnly() {
        let ours = SystemdNotifier(environment: ["NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "10", "WATCHDOG_PID": "\(getpid())"])
        let other = SystemdNotifier(environment: ["NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "10", "WATCHDOG_PID": "1"])
        let none = SystemdNotifier(environment: ["WATCHDOG_USEC": "10"])
        #expect(ours.watchdogPingInterval != nil && other.watchdogPingInterval == nil && none.watchdogPingInterval == nil)
    }

    @Test func logLinesCarryTheJournalPriority() {
        let line = JournalLogHandler.format(level: .warning, label: "mlpd", message: "two\nlines", metadata: ["b": "x y", "a": "1"])
        #expect(line == "<4>warning mlpd: two\\nlines a=1 b=\"x y\"")
        #expect([Logger.Level.trace, .debug, .info, .notice, .warning, .error, .critical].map(JournalLogHandler.priority)
                == [7, 7, 6, 5, 4, 3, 2])
    }
}

@Suite struct OpenAPIDocumentTests {
    /// Every route the daemon serves is documented, and the document names no other.
    @Test func documentsEveryRoute() throws {
        let text = try String(contentsOf: Paths.repository.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        let documented = text.split(separator: "\n").filter { $0.hasPrefix("  /") }.map { String($0.dropFirst(2).dropLast()) }
        #expect(Set(documented) == ["/v1/jobs", "/v1/jobs/{id}", "/v1/jobs/{id}/cancel", "/v1/jobs/{id}/metrics",
                                    "/v1/jobs/{id}/log", "/metrics", "/healthz"])
    }
}
