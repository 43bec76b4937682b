import CZlib
import Foundation
import MLPData
import Testing

/// A temporary directory for one test's fixture files, removed when the value goes away.
final class Fixtures {
    let directory: URL

    init() {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("mlpd-data-tests-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// The path of `name` in the directory (the file need not exist).
    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Writes `text` as UTF-8 and returns the path.
    @discardableResult
    func write(_ name: String, _ text: String) -> String { write(name, bytes: Array(text.utf8)) }

    /// Writes `bytes` and returns the path.
    @discardableResult
    func write(_ name: String, bytes: [UInt8]) -> String {
        let path = path(name)
        try! Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Writes `bytes` gzip-compressed through zlib and returns the path.
    @discardableResult
    func writeGzip(_ name: String, bytes: [UInt8]) -> String {
        let path = path(name)
        let file = gzopen(path, "wb")!
        let written = bytes.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
        precondition(Int(written) == bytes.count)
        precondition(gzclose(file) == Z_OK)
        return path
    }
}

/// The root of the repository, found from this source file (Tests/MLPDataTests/…).
let repositoryRoot: String = {
    var components = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    components.removeLast(3)
    return components.joined(separator: "/")
}()

/// Expects loading `spec` to fail with a `DataError` of `code` at `file` and `line`, whose
/// message contains every string in `mentions`. Returns the error for further checks.
@discardableResult
func expectDataError(
    _ spec: DataSourceSpec, _ shape: DataShape, code: DataError.Code, file: String? = nil,
    line: Int?, mentions: [String], sourceLocation: SourceLocation = #_sourceLocation
) -> DataError? {
    let error = #expect(throws: DataError.self, sourceLocation: sourceLocation) {
        _ = try DataLoader.load(spec, expecting: shape)
    }
    guard let error else { return nil }
    let expectedFile = file ?? spec.path
    #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    #expect(error.file == expectedFile, "\(error)", sourceLocation: sourceLocation)
    #expect(error.line == line, "\(error)", sourceLocation: sourceLocation)
    for mention in mentions {
        #expect(error.message.contains(mention), "\(error) should mention \(mention)", sourceLocation: sourceLocation)
    }
    let prefix = line.map { "\(expectedFile):\($0): " } ?? "\(expectedFile): "
    #expect(error.description.hasPrefix(prefix), "\(error)", sourceLocation: sourceLocation)
    return error
}

// MARK: - Binary fixture builders

/// An IDX file: magic `0x0000TTDD`, big-endian sizes, then `data` (already big-endian).
func idxFile(type: UInt8, shape: [Int], data: [UInt8]) -> [UInt8] {
    var bytes: [UInt8] = [0, 0, type, UInt8(shape.count)]
    for size in shape { bytes += withUnsafeBytes(of: UInt32(size).bigEndian, Array.init) }
    return bytes + data
}

/// An IDX file of unsigned bytes.
func idxUByte(shape: [Int], _ values: [UInt8]) -> [UInt8] { idxFile(type: 0x08, shape: shape, data: values) }

/// An IDX file of big-endian float32 values.
func idxFloat(shape: [Int], _ values: [Float]) -> [UInt8] {
    idxFile(type: 0x0D, shape: shape, data: values.flatMap { withUnsafeBytes(of: $0.bitPattern.bigEndian, Array.init) })
}

/// An npy file: version `major`.0, the header dict for `descr`, `shape`, `fortranOrder`,
/// padded so the data starts on a 64-byte boundary as NumPy does, then `data`.
func npyFile(descr: String, shape: [Int], fortranOrder: Bool = false, major: UInt8 = 1, data: [UInt8]) -> [UInt8] {
    let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    var header = "{'descr': '\(descr)', 'fortran_order': \(fortranOrder ? "True" : "False"), 'shape': \(shapeText), }"
    let lengthSize = major == 1 ? 2 : 4
    while (8 + lengthSize + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [major, 0]
    let length = header.utf8.count
    bytes += major == 1
        ? withUnsafeBytes(of: UInt16(length).littleEndian, Array.init)
        : withUnsafeBytes(of: UInt32(length).littleEndian, Array.init)
    return bytes + Array(header.utf8) + data
}

/// Little-endian bytes of each value (the npy layout).
func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
}

func littleEndianBytes(_ values: [Float]) -> [UInt8] { littleEndianBytes(values.map(\.bitPattern)) }
func littleEndianBytes(_ values: [Double]) -> [UInt8] { littleEndianBytes(values.map(\.bitPattern)) }
