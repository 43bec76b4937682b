import Foundation
import Testing

/// Every kind of bad input gets a message naming the file and line (or key), exit status 1,
/// and leaves no run directory behind.
@Suite struct BadInputTests {
    static let goodRows = "0.1,0.2,0.3,0.4,0\n0.5,0.6,0.7,0.8,1\n0.9,1.0,1.1,1.2,2\n"

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var file: String
        var contents: [UInt8]
        var extraData: String = ""
        var model: String = "layers: [4, 5, 3]"
        /// Pieces the error message must contain.
        var expected: [String]
        var testDescription: String { name }
    }

    static func text(_ s: String) -> [UInt8] { Array(s.utf8) }

    /// An IDX header: magic, then big-endian dimension sizes.
    static func idx(magic: UInt32, dims: [UInt32], payload: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        for word in [magic] + dims { bytes += withUnsafeBytes(of: word.bigEndian) { Array($0) } }
        return bytes + [UInt8](repeating: 7, count: payload)
    }

    static let cases: [Case] = [
        Case(name: "ragged row", file: "d.csv", contents: text(goodRows + "1,2,3,0\n"),
             expected: ["d.csv:4:", "row has 4 cells, expected 5"]),
        Case(name: "non-numeric cell", file: "d.csv", contents: text(goodRows + "1,2,abc,4,1\n"),
             expected: ["d.csv:4:", "abc"]),
        Case(name: "NaN", file: "d.csv", contents: text("0.1,nan,0.3,0.4,0\n" + goodRows),
             expected: ["d.csv:1:", "nan"]),
        Case(name: "infinity", file: "d.csv", contents: text(goodRows + "1,2,inf,4,1\n"),
             expected: ["d.csv:4:", "inf"]),
        Case(name: "label out of range", file: "d.csv", contents: text(goodRows + "1,2,3,4,3\n"),
             expected: ["d.csv:4:", "label 3 out of range 0…2"]),
        Case(name: "feature count", file: "d.csv", contents: text(goodRows), model: "layers: [5, 5, 3]",
             expected: ["d.csv:1:", "4 feature columns", "model.layers[0]", "5 units"]),
        Case(name: "truncated IDX", file: "x-idx3-ubyte",
             contents: idx(magic: 0x0000_0803, dims: [3, 2, 2], payload: 10),
             extraData: ", labels: y-idx1-ubyte, format: idx",
             expected: ["x-idx3-ubyte", "truncated", "12", "10"]),
        Case(name: "wrong IDX magic", file: "x-idx3-ubyte",
             contents: idx(magic: 0x0000_0903 | 0x0100_0000, dims: [3, 2, 2], payload: 12),
             extraData: ", labels: y-idx1-ubyte, format: idx",
             expected: ["x-idx3-ubyte", "magic"]),
    ]

    @Test(arguments: cases)
    func badDataFailsCleanly(_ c: Case) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write(c.file, bytes: c.contents)
        try dir.write("y-idx1-ubyte", bytes: Self.idx(magic: 0x0000_0801, dims: [3], payload: 0).dropLast(0) + [0, 1, 2])
        let model = c.file.hasSuffix("ubyte") ? "layers: [4, 5, 3]" : c.model
        try dir.write("job.yaml", smallConfig(data: c.file, extraData: c.extraData, model: model))
        let result = try CLI.run(["train", "job.yaml"], in: dir.url)
        #expect(result.status == 1)
        for piece in c.expected { #expect(result.stderr.contains(piece), "\(result.stderr)") }
        #expect(result.stderr.hasPrefix("mlpd: error: "))
        #expect(!dir.exists("run"), "no run directory may be left behind")
    }

    @Test func unknownConfigKeyNamesLineAndSuggestion() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("d.csv", Self.goodRows)
        try dir.write("job.yaml", smallConfig(data: "d.csv").replacingOccurrences(of: "epochs: 2", with: "epoch: 2"))
        let result = try CLI.run(["train", "job.yaml"], in: dir.url)
        #expect(result.status == 1)
        #expect(result.stderr.contains("job.yaml:6:3: train: unknown key 'epoch'"))
        #expect(result.stderr.contains("did you mean 'epochs'"))
        #expect(!dir.exists("run"))
    }

    @Test func badOverrideNamesTheKey() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("d.csv", Self.goodRows)
        try dir.write("job.yaml", smallConfig(data: "d.csv"))
        let result = try CLI.run(["train", "job.yaml", "--set", "train.batch_size=0"], in: dir.url)
        #expect(result.status == 1)
        #expect(result.stderr.contains("train.batch_size"))
        #expect(!dir.exists("run"))
    }

    @Test func missingDataFileIsNamed() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("job.yaml", smallConfig(data: "nowhere.csv"))
        let result = try CLI.run(["train", "job.yaml"], in: dir.url)
        #expect(result.status == 1)
        #expect(result.stderr.contains("nowhere.csv"))
        #expect(!dir.exists("run"))
    }

    @Test func initialWeightsOfTheWrongShapeAreRefused() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("d.csv", Self.goodRows)
        try dir.write("first.yaml", smallConfig(data: "d.csv").replacingOccurrences(of: "dir: run", with: "dir: first"))
        #expect(try CLI.run(["train", "first.yaml"], in: dir.url).status == 0)
        try dir.write("job.yaml", smallConfig(data: "d.csv", model: "layers: [4, 6, 3]\n  init: {from: first/model.safetensors}"))
        let result = try CLI.run(["train", "job.yaml"], in: dir.url)
        #expect(result.status == 1)
        #expect(result.stderr.contains("first/model.safetensors"))
        #expect(result.stderr.contains("layers.0.weight"))
        #expect(!dir.exists("run"))
    }
}
