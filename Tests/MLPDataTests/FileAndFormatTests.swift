import MLPData
import Testing

@Suite struct FileAndFormatTests {
    let fixtures = Fixtures()
    let shape = DataShape(inputCount: 2, outputCount: 2)

    @Test func gzipRoundTrip() throws {
        let rows = (0..<500).map { "\($0),\(-$0),\($0 % 2)" }.joined(separator: "\n")
        let path = fixtures.writeGzip("rows.csv.gz", bytes: Array(rows.utf8))
        let data = try DataLoader.load(DataSourceSpec(path: path), expecting: shape)
        #expect(data.count == 500)
        #expect(data.features[998] == 499 && data.features[999] == -499)
        #expect(data.labels![499] == 1)
        // Compression is detected by content, not by name.
        let hidden = fixtures.writeGzip("rows.csv", bytes: Array(rows.utf8))
        #expect(try DataLoader.load(DataSourceSpec(path: hidden), expecting: shape).features == data.features)
    }

    @Test func corruptGzip() {
        var compressed: [UInt8] = []
        let rows = (0..<2000).map { "\($0),\($0 * 7 % 13),\($0 % 2)" }.joined(separator: "\n")
        let whole = fixtures.writeGzip("whole.csv.gz", bytes: Array(rows.utf8))
        compressed = try! [UInt8](contentsOfFile: whole)
        let truncated = fixtures.write("truncated.csv.gz", bytes: Array(compressed.prefix(compressed.count / 2)))
        expectDataError(
            DataSourceSpec(path: truncated), shape, code: .corruptCompression, line: nil,
            mentions: ["corrupt or truncated gzip data", "unexpected end of file"])
        var flipped = compressed
        flipped[flipped.count - 6] ^= 0xFF  // inside the CRC-32 trailer
        let badCRC = fixtures.write("crc.csv.gz", bytes: flipped)
        expectDataError(DataSourceSpec(path: badCRC), shape, code: .corruptCompression, line: nil, mentions: ["gzip"])
    }

    @Test func missingFileAndDirectory() {
        let missing = fixtures.path("nope.csv")
        expectDataError(
            DataSourceSpec(path: missing), shape, code: .cannotOpen, line: nil,
            mentions: ["cannot open: No such file or directory"])
        let directory = fixtures.directory.path + "/"
        expectDataError(
            DataSourceSpec(path: directory, format: .csv), shape, code: .cannotOpen, line: nil,
            mentions: ["Is a directory"])
        let images = fixtures.write("x-idx3-ubyte", bytes: idxUByte(shape: [1, 2], [1, 2]))
        let noLabels = fixtures.path("y-idx1-ubyte")
        expectDataError(
            DataSourceSpec(path: images, labelsPath: noLabels), shape, code: .cannotOpen, file: noLabels, line: nil,
            mentions: ["No such file"])
    }

    @Test func formatInference() {
        let cases: [(String, DataFormat?)] = [
            ("data/digits.csv", .csv), ("data/digits.csv.gz", .csv), ("a/b.TSV", .csv), ("notes.txt", .csv),
            ("x.npy", .npy), ("x.npy.gz", .npy),
            ("train-images-idx3-ubyte", .idx), ("data/mnist/t10k-labels-idx1-ubyte.gz", .idx), ("images.idx", .idx),
            ("letters-ubyte", .idx), ("idx_table.csv", .csv),
            ("xor.data", .fann), ("robot.train", .fann), ("robot.test.gz", .fann), ("net.fann", .fann),
            ("weights.bin", nil), ("csv", nil), ("data.gz", nil), ("dir.csv/file", nil),
        ]
        for (path, format) in cases {
            #expect(DataFormat(inferringFromPath: path) == format, "\(path)")
        }
    }

    @Test func uninferableNameAndMisplacedOptions() {
        let path = fixtures.write("table.bin", "1,2,0\n")
        expectDataError(
            DataSourceSpec(path: path), shape, code: .badOptions, line: nil,
            mentions: ["cannot tell the data format", "csv, idx, npy, fann"])
        // An explicit format overrides the name.
        #expect((try? DataLoader.load(DataSourceSpec(path: path, format: .csv), expecting: shape))?.count == 1)
        let csv = fixtures.write("t.csv", "1,2,0\n")
        expectDataError(
            DataSourceSpec(path: csv, labelsPath: csv), shape, code: .badOptions, line: nil,
            mentions: ["labelsPath is only for idx and npy data"])
    }

    @Test func errorDescriptions() {
        #expect(DataError(file: "data/x.csv", line: 17, message: "row has 63 cells, expected 65 (as in line 1)", code: .raggedRow).description
            == "data/x.csv:17: row has 63 cells, expected 65 (as in line 1)")
        #expect(DataError(file: "y.idx", message: "example 3: label 10 out of range", code: .labelOutOfRange).description
            == "y.idx: example 3: label 10 out of range")
    }
}

extension Array where Element == UInt8 {
    /// The bytes of a file (tests only).
    init(contentsOfFile path: String) throws {
        self = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

import Foundation
