import Foundation
import Testing

/// `systemd-analyze verify` accepts systemd/mlpd.service (with ExecStart= pointed at the built
/// binary), and the check does fail on a unit with a mistake.
@Suite struct SystemdUnitTests {
    func verify(_ unit: String? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Paths.repository.appendingPathComponent("systemd/verify-unit").path, Paths.binary] + (unit.map { [$0] } ?? [])
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    @Test func unitVerifies() throws {
        let (status, output) = try verify()
        #expect(status == 0, "\(output)")
        #expect(output.contains("passed"))
    }

    @Test func checkFailsOnAnUnknownKey() throws {
        let scratch = try Scratch()
        let unit = try String(contentsOf: Paths.repository.appendingPathComponent("systemd/mlpd.service"), encoding: .utf8)
        let broken = try scratch.write("mlpd.service", unit.replacingOccurrences(of: "Restart=on-failure", with: "Restart=on-failure\nRestartt=always"))
        let (status, output) = try verify(broken)
        #expect(status == 1)
        #expect(output.contains("Unknown key 'Restartt'"), "\(output)")
    }
}
