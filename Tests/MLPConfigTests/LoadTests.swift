import Foundation
import MLPConfig
import Testing

@Suite("Loading files")
struct LoadTests {
    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mlpconfig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("load reads the file, names it in errors and applies overrides")
    func loadFile() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("digits.yaml")
        try digitsYAML.write(to: good, atomically: true, encoding: .utf8)
        let config = try JobConfig.load(path: good.path, overrides: ["train.epochs=2"])
        #expect(config.train.epochs == 2)
        #expect(config.model.layers == [64, 64, 10])

        let bad = dir.appendingPathComponent("bad.yaml")
        try withTrain("epochs: 0\noptimizer: {learning_rate: 1}").write(
            to: bad, atomically: true, encoding: .utf8)
        #expect(
            throws: ConfigError(
                file: bad.path, line: 6, column: 11, key: "train.epochs",
                message: "train.epochs: expected an integer ≥ 1, found '0'")
        ) {
            try JobConfig.load(path: bad.path)
        }
    }

    @Test("A missing file, a directory and a non-UTF-8 file are named errors")
    func unreadable() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("nope.yaml").path
        #expect(
            throws: ConfigError(
                file: missing, message: "cannot read the configuration: no such file")
        ) {
            try JobConfig.load(path: missing)
        }
        #expect(
            throws: ConfigError(
                file: dir.path, message: "cannot read the configuration: it is a directory")
        ) {
            try JobConfig.load(path: dir.path)
        }
        let latin1 = dir.appendingPathComponent("latin1.yaml")
        try Data([0x6D, 0x3A, 0x20, 0xE9, 0x0A]).write(to: latin1)
        #expect(
            throws: ConfigError(
                file: latin1.path, message: "cannot read the configuration: not valid UTF-8")
        ) {
            try JobConfig.load(path: latin1.path)
        }
    }

    @Test("The description is file:line:column: message")
    func description() {
        let error = ConfigError(file: "configs/x.yaml", line: 12, column: 5, key: "k", message: "m")
        #expect(error.description == "configs/x.yaml:12:5: m")
        #expect(ConfigError(file: "f", line: 3, message: "m").description == "f:3: m")
        #expect(ConfigError(file: "f", message: "m").description == "f: m")
        #expect(error.localizedDescription == "configs/x.yaml:12:5: m")
    }
}
