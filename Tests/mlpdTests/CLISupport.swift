import Foundation
import Testing

/// Runs the built `mlpd` binary (next to the test bundle) in a working directory.
struct CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The repository root (data/ and configs/ live there).
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static var binary: URL {
        let directory = Bundle.main.executableURL?.deletingLastPathComponent()
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return directory.appendingPathComponent("mlpd")
    }

    /// `mpirun` starting `ranks` copies of the binary, as root, oversubscribing this 2-core
    /// machine (ranks waiting in MPI yield their core), with a time limit so that a hang fails
    /// the test instead of the suite.
    static func mpirun(ranks: Int, _ arguments: [String], limit seconds: Int = 300) throws -> Result {
        try run(["\(seconds)", "mpirun", "--allow-run-as-root", "--oversubscribe", "--mca", "mpi_yield_when_idle", "1",
                 "-np", "\(ranks)", binary.path] + arguments,
                executable: URL(fileURLWithPath: "/usr/bin/timeout"))
    }

    @discardableResult
    static func run(_ arguments: [String], in directory: URL = repositoryRoot, executable: URL? = nil) throws -> Result {
        let process = Process()
        process.executableURL = executable ?? binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes to the end before waiting, so a chatty child cannot block on a full pipe.
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// A fresh temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("mlpd-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func write(_ name: String, _ text: String) throws {
        try text.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    func write(_ name: String, bytes: [UInt8]) throws {
        try Data(bytes).write(to: url.appendingPathComponent(name))
    }

    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: path(name)) }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// A small job config over a CSV file with 4 features and 3 classes, writing to `run/`.
func smallConfig(data: String, extraData: String = "", model: String = "layers: [4, 5, 3]") -> String {
    """
    model:
      \(model)
    data:
      train: {path: \(data)\(extraData)}
    train:
      epochs: 2
      batch_size: 4
      optimizer: {kind: sgd, learning_rate: 0.5}
    output:
      dir: run
    """
}
