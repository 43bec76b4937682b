import Foundation
import MLPDaemon
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Paths shared by the tests.
enum Paths {
    /// The repository root (data/ lives there).
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let data = repository.appendingPathComponent("data").path
    static let digits = repository.appendingPathComponent("data/digits.csv.gz").path

    /// The built `mlpd` next to the test bundle.
    static var binary: String {
        let directory = Bundle.main.executableURL?.deletingLastPathComponent()
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return directory.appendingPathComponent("mlpd").path
    }
}

/// A fresh folder under /tmp with a short name (socket paths are limited to 107 bytes).
final class Scratch {
    let path: String

    init() throws {
        path = "/tmp/mlpdd-" + String(UInt32.random(in: .min ... .max), radix: 36)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: file(name), atomically: true, encoding: .utf8)
        return file(name)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// The small digits job: 64-16-10, 1437 training examples in batches of 50 (29 steps an
/// epoch), `epochs` epochs.
func digitsJob(epochs: Int = 3, learningRate: String = "2.0", extra: String = "") -> String {
    """
    model: {layers: [64, 16, 10]}
    data:
      train: {path: \(Paths.digits), label: last}
      split: {test_fraction: 0.2, seed: 3}
      scale: 0.0625
    train:
      epochs: \(epochs)
      batch_size: 50
      optimizer: {kind: sgd, learning_rate: \(learningRate), momentum: 0.5}
    \(extra)
    """
}

/// A running `mlpd serve` child with its own state folder and socket.
final class DaemonProcess {
    let scratch: Scratch
    let configPath: String
    let socket: String
    let process = Process()
    let logPath: String

    /// Writes the daemon config (`extraConfig` appended) and starts the binary; `environment`
    /// adds variables (NOTIFY_SOCKET, WATCHDOG_USEC).
    init(scratch: Scratch, extraConfig: String = "", environment: [String: String] = [:], logName: String = "daemon.log") throws {
        self.scratch = scratch
        socket = scratch.file("mlpd.sock")
        configPath = scratch.file("mlpd.yaml")
        if !FileManager.default.fileExists(atPath: configPath) {
            try scratch.write("mlpd.yaml", """
                state_dir: \(scratch.file("state"))
                allowed_data_roots: [\(Paths.data), \(scratch.path)]
                \(extraConfig.contains("listen:") ? "" : "listen: {socket: \(socket)}")
                \(extraConfig)
                """)
        }
        logPath = scratch.file(logName)
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: Paths.binary)
        process.arguments = ["serve", "--config", configPath]
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NOTIFY_SOCKET")
        env.removeValue(forKey: "WATCHDOG_USEC")
        env.merge(environment) { $1 }
        process.environment = env
        let log = FileHandle(forWritingAtPath: logPath)!
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    var client: DaemonClient { DaemonClient(endpoint: .socket(path: socket)) }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits until `/healthz` answers.
    func waitUntilServing(timeout: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let reply = try? await client.request("GET", "/healthz"), reply.status == 200 { return }
            guard process.isRunning else { throw TestFailure("the daemon exited (\(process.terminationStatus)):\n\(log)") }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("the daemon did not start serving:\n\(log)")
    }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for the process to exit; nil if it is still running after `timeout`.
    func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        if process.isRunning { return nil }
        return process.terminationStatus
    }

    /// Kills the daemon if it still runs (end of a test).
    func kill9() {
        if process.isRunning {
            signal(SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { kill9() }

    /// Polls the job until `condition` holds or `timeout` passes; returns the last record.
    func waitForJob(_ id: String, timeout: Duration = .seconds(60), pollEvery: Duration = .milliseconds(20),
                    until condition: (JobRecord) -> Bool) async throws -> JobRecord {
        let deadline = ContinuousClock.now + timeout
        while true {
            let record = try await client.job(id)
            if condition(record) { return record }
            guard ContinuousClock.now < deadline else {
                throw TestFailure("job \(id) stuck in \(record.state) (\(String(describing: record.progress)))\n\(log)")
            }
            try await Task.sleep(for: pollEvery)
        }
    }
}

/// A stand-in for systemd's notification socket: a datagram socket that collects messages.
final class NotifyListener: @unchecked Sendable {
    let path: String
    private let fd: Int32
    private let messages = Mutex<[String]>([])

    init(path: String) throws {
        self.path = path
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        // "@name" is a name in the abstract namespace: a leading NUL, and the length counts exactly.
        let abstract = path.hasPrefix("@")
        let name = Array(path.utf8.dropFirst(abstract ? 1 : 0))
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in name.enumerated() { raw[i + (abstract ? 1 : 0)] = b }
        }
        let length = abstract ? MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + 1 + name.count : MemoryLayout<sockaddr_un>.size
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(length)) }
        }
        guard bound == 0 else { throw TestFailure("bind \(path): errno \(errno)") }
        let receiver = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { return }
                let text = String(decoding: buffer[0..<n], as: UTF8.self)
                self.messages.withLock { $0.append(text) }
            }
        }
        receiver.start()
    }

    /// Every message so far.
    var all: [String] { messages.withLock { $0 } }

    /// Waits until some message contains `text`; returns that message.
    @discardableResult
    func waitFor(_ text: String, after index: Int = 0, timeout: Duration = .seconds(20)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let hit = all.dropFirst(index).first(where: { $0.contains(text) }) { return hit }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestFailure("no notification with '\(text)'; got \(all)")
    }

    func close() { shutdown(fd, Int32(SHUT_RDWR)); Glibc.close(fd) }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
