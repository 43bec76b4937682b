import Foundation
import MLPTraining
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite struct AtomicFileTests {
    @Test func createsFileWithExactBytesAndNoTemporaryLeft() throws {
        try withTemporaryDirectory { dir throws in
            let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            try AtomicFile.write(bytes, to: dir + "/model.bin")
            #expect(try contents(dir + "/model.bin") == bytes)
            #expect(try listing(dir) == ["model.bin"])
        }
    }

    @Test func replacesOldContentCompletely() throws {
        try withTemporaryDirectory { dir throws in
            let path = dir + "/metrics.csv"
            try AtomicFile.write("a much longer first version of the file\n", to: path)
            try AtomicFile.write("short\n", to: path)
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "short\n")
            #expect(try listing(dir) == ["metrics.csv"])
        }
    }

    @Test func writesTextAsUTF8AndEmptyFiles() throws {
        try withTemporaryDirectory { dir throws in
            try AtomicFile.write("Größe ✓\n", to: dir + "/text")
            #expect(try contents(dir + "/text") == Array("Größe ✓\n".utf8))
            try AtomicFile.write([UInt8](), to: dir + "/empty")
            #expect(try contents(dir + "/empty") == [])
        }
    }

    @Test func failsWhenParentIsARegularFile() throws {
        try withTemporaryDirectory { dir throws in
            try AtomicFile.write("x", to: dir + "/file")
            let path = dir + "/file/model.safetensors"
            let error = #expect(throws: ArtifactError.self) {
                try AtomicFile.write([1, 2, 3], to: path)
            }
            #expect(error?.path == path)
            #expect(error?.code == .io)
            #expect(error?.description.contains(path) == true)
            #expect(error?.description.contains("Not a directory") == true)
            #expect(try listing(dir) == ["file"])
        }
    }

    @Test func failsWhenDirectoryDoesNotExist() throws {
        try withTemporaryDirectory { dir throws in
            let path = dir + "/missing/run/metrics.csv"
            let error = #expect(throws: ArtifactError.self) { try AtomicFile.write("x", to: path) }
            #expect(error?.path == path)
            #expect(error?.description.contains("No such file or directory") == true)
            #expect(try listing(dir) == [])
        }
    }

    /// The temporary file is written and synced, then the rename fails: it must be removed and
    /// the old entry left as it was.
    @Test func removesTemporaryFileWhenRenameFails() throws {
        try withTemporaryDirectory { dir throws in
            let path = dir + "/target"
            try AtomicFile.createDirectory(path + "/inside")
            let error = #expect(throws: ArtifactError.self) {
                try AtomicFile.write([9, 9], to: path)
            }
            #expect(error?.path == path)
            #expect(error?.message.contains("rename") == true)
            #expect(try listing(dir) == ["target"])
            #expect(try listing(path) == ["inside"])
        }
    }

    /// Root ignores permission bits, so this runs only as another user; the regular-file parent
    /// above covers the same path as root.
    @Test(.enabled(if: getuid() != 0)) func failsInReadOnlyDirectory() throws {
        try withTemporaryDirectory { dir throws in
            let locked = dir + "/locked"
            try AtomicFile.createDirectory(locked)
            try AtomicFile.write("old", to: locked + "/file")
            chmod(locked, 0o555)
            defer { chmod(locked, 0o755) }
            let error = #expect(throws: ArtifactError.self) {
                try AtomicFile.write("new", to: locked + "/file")
            }
            #expect(error?.path == locked + "/file")
            #expect(try String(contentsOfFile: locked + "/file", encoding: .utf8) == "old")
            #expect(try listing(locked) == ["file"])
        }
    }

    @Test func rejectsPathsWithoutFileName() throws {
        for path in ["", "/tmp/", "dir/.", "dir/.."] {
            let error = #expect(throws: ArtifactError.self) { try AtomicFile.write("x", to: path) }
            #expect(error?.path == path)
        }
    }

    /// Concurrent writers to one path each use their own temporary file; the result is one
    /// writer's complete content.
    @Test func concurrentWritersLeaveOneCompleteVersion() throws {
        try withTemporaryDirectory { dir throws in
            let path = dir + "/shared"
            let versions = (0..<8).map { writer in
                [UInt8](repeating: UInt8(writer), count: 4096 * (writer + 1))
            }
            let failures = FailureLog()
            DispatchQueue.concurrentPerform(iterations: versions.count) { writer in
                for _ in 0..<10 {
                    do { try AtomicFile.write(versions[writer], to: path) } catch {
                        failures.record(error)
                    }
                }
            }
            #expect(failures.errors.isEmpty)
            #expect(versions.contains(try contents(path)))
            #expect(try listing(dir) == ["shared"])
        }
    }

    @Test func createDirectoryMakesParentsAndIsIdempotent() throws {
        try withTemporaryDirectory { dir throws in
            let path = dir + "/runs//2024/run-1/"
            try AtomicFile.createDirectory(path)
            try AtomicFile.createDirectory(path)
            var isDirectory: ObjCBool = false
            #expect(
                FileManager.default.fileExists(
                    atPath: dir + "/runs/2024/run-1", isDirectory: &isDirectory))
            #expect(isDirectory.boolValue)
        }
    }

    @Test func createDirectoryFailsThroughRegularFile() throws {
        try withTemporaryDirectory { dir throws in
            try AtomicFile.write("x", to: dir + "/file")
            for path in [dir + "/file", dir + "/file/sub/dir"] {
                let error = #expect(throws: ArtifactError.self) {
                    try AtomicFile.createDirectory(path)
                }
                #expect(error?.path == path)
                #expect(error?.description.contains(dir + "/file") == true)
                #expect(error?.message.contains("not a directory") == true)
            }
            #expect(throws: ArtifactError.self) { try AtomicFile.createDirectory("") }
        }
    }
}

/// Errors collected from concurrent writers.
private final class FailureLog: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [String] = []

    func record(_ error: any Error) { lock.withLock { recorded.append("\(error)") } }
    var errors: [String] { lock.withLock { recorded } }
}
