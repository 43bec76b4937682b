/// One named tensor of a safetensors file: `values` in row-major order for `shape`.
public struct SafetensorsTensor: Sendable, Equatable {
    /// The tensor's key in the file header, e.g. `layers.0.weight`.
    public var name: String
    /// The dimensions, outermost first; `[]` is a scalar (one value).
    public var shape: [Int]
    /// The elements in row-major order; `values.count` is the product of `shape`.
    public var values: [Float]

    /// Creates a tensor. The product of `shape` must equal `values.count` for it to be written.
    public init(name: String, shape: [Int], values: [Float]) {
        self.name = name
        self.shape = shape
        self.values = values
    }
}

/// A safetensors file (the format of Hugging Face's `safetensors`, read by NumPy and PyTorch
/// users): an 8-byte little-endian header length `N`, `N` bytes of UTF-8 JSON header padded with
/// spaces to a multiple of 8, then the tensors' data, little-endian, back to back.
///
/// The header maps `"__metadata__"` to string-to-string metadata and each tensor name to
/// `{"dtype": …, "shape": […], "data_offsets": [begin, end]}`, offsets relative to the start of
/// the data. This type writes `F32` and reads `F32`, `F64`, `F16` and `BF16` (converted to
/// `Float`; `F64` values are rounded to nearest).
///
/// Output is byte-stable: `__metadata__` first (omitted when empty, as the reference writer
/// does) with its keys sorted, then the tensors in the order of `tensors`, laid out in that
/// order. The same content always serializes to the same bytes.
public struct SafetensorsFile: Sendable, Equatable {
    /// The tensors, in header and data order.
    public var tensors: [SafetensorsTensor]
    /// Free-form string metadata, stored under the header's `__metadata__` key.
    public var metadata: [String: String]

    /// Creates a file from tensors (names unique, not `__metadata__`) and metadata.
    public init(tensors: [SafetensorsTensor], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The first tensor called `name`, or nil.
    public func tensor(named name: String) -> SafetensorsTensor? {
        tensors.first { $0.name == name }
    }

    // MARK: - Writing

    /// The file's bytes, tensors as `F32`.
    ///
    /// - Precondition: tensor names are unique and not `__metadata__`, dimensions are
    ///   non-negative, and each tensor's shape product equals its value count. (`write(to:)`
    ///   checks the same and throws instead.)
    public func serialized() -> [UInt8] {
        if let problem = contentProblem() { preconditionFailure("SafetensorsFile: \(problem)") }

        var header = "{"
        var separator = ""
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key < $1.key }.map {
                jsonQuoted($0.key) + ":" + jsonQuoted($0.value)
            }
            header += "\"__metadata__\":{" + pairs.joined(separator: ",") + "}"
            separator = ","
        }
        var offset = 0
        for tensor in tensors {
            let end = offset + 4 * tensor.values.count
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            header += separator + jsonQuoted(tensor.name)
            header +=
                ":{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}"
            separator = ","
            offset = end
        }
        header += "}"

        var headerBytes = Array(header.utf8)
        // The reference writer pads to 8 so that the data starts 8-byte aligned in the file.
        headerBytes.append(
            contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - headerBytes.count % 8) % 8))

        var bytes = [UInt8](repeating: 0, count: 8 + headerBytes.count + offset)
        bytes.withUnsafeMutableBytes { raw in
            raw.storeBytes(
                of: UInt64(headerBytes.count).littleEndian, toByteOffset: 0, as: UInt64.self)
            headerBytes.withUnsafeBytes {
                raw.baseAddress!.advanced(by: 8).copyMemory(
                    from: $0.baseAddress!, byteCount: $0.count)
            }
            var position = 8 + headerBytes.count
            for tensor in tensors {
                for value in tensor.values {
                    raw.storeBytes(
                        of: value.bitPattern.littleEndian, toByteOffset: position, as: UInt32.self)
                    position += 4
                }
            }
        }
        return bytes
    }

    /// Atomically writes the file to `path` (see `AtomicFile`).
    ///
    /// - Throws: `ArtifactError` naming `path`: `.invalidContent` if the tensors break the
    ///   preconditions of `serialized()`, `.io` if writing fails.
    public func write(to path: String) throws {
        if let problem = contentProblem() {
            throw ArtifactError(code: .invalidContent, path: path, message: problem)
        }
        try AtomicFile.write(serialized(), to: path)
    }

    /// Why this content cannot be written, or nil if it can.
    private func contentProblem() -> String? {
        var names = Set<String>()
        for tensor in tensors {
            guard tensor.name != "__metadata__" else {
                return "a tensor may not be called \"__metadata__\""
            }
            guard names.insert(tensor.name).inserted else {
                return "duplicate tensor name \"\(tensor.name)\""
            }
            guard tensor.shape.allSatisfy({ $0 >= 0 }) else {
                return "tensor \"\(tensor.name)\": negative dimension in shape \(tensor.shape)"
            }
            guard let count = Self.elementCount(tensor.shape), count == tensor.values.count else {
                return
                    "tensor \"\(tensor.name)\": shape \(tensor.shape) does not hold \(tensor.values.count) values"
            }
        }
        return nil
    }

    /// The product of `shape`, or nil on overflow.
    private static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for dimension in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            count = product
        }
        return count
    }

    // MARK: - Reading

    /// Reads and parses the safetensors file at `path`.
    ///
    /// - Throws: `ArtifactError` naming `path` if the file cannot be read or is malformed
    ///   (see `parse(_:file:)`).
    public static func read(path: String) throws -> SafetensorsFile {
        try parse(PosixFile.readAll(path: path), file: path)
    }

    /// Parses safetensors bytes, validating strictly. `file` names the source in errors.
    ///
    /// Rejected, with an `.invalidFormat` `ArtifactError` naming `file`: a file shorter than 8
    /// bytes, a header length beyond the file, a header that is not UTF-8 or not a JSON object,
    /// duplicate keys, an unknown or unsupported dtype, a shape that is not a list of
    /// non-negative integers, a shape whose size does not match the `data_offsets` span,
    /// offsets out of range, overlapping, or leaving bytes of the data buffer uncovered,
    /// unexpected keys in a tensor entry, and metadata that is not string to string.
    /// Tensors are returned in header order.
    public static func parse(_ bytes: [UInt8], file: String) throws -> SafetensorsFile {
        func failure(_ message: String) -> ArtifactError {
            ArtifactError(code: .invalidFormat, path: file, message: message)
        }
        guard bytes.count >= 8 else {
            throw failure("file is \(bytes.count) bytes, too short for the 8-byte header length")
        }
        let declared = bytes.withUnsafeBytes {
            UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))
        }
        guard declared <= UInt64(bytes.count - 8) else {
            throw failure(
                "header length \(declared) goes beyond the end of the file (\(bytes.count - 8) bytes follow it)"
            )
        }
        let headerLength = Int(declared)
        let headerBytes = Array(bytes[8..<(8 + headerLength)])
        guard String(validating: headerBytes, as: UTF8.self) != nil else {
            throw failure("header is not valid UTF-8")
        }
        let header: JSONValue
        do {
            header = try JSONValue.parse(headerBytes)
        } catch {
            throw failure("invalid JSON in header at byte \(8 + error.offset): \(error.message)")
        }
        guard case .object(let members) = header else {
            throw failure("header is \(header.kind), not a JSON object")
        }

        let dataStart = 8 + headerLength
        let dataSize = bytes.count - dataStart
        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        for (key, value) in members {
            if key == "__metadata__" {
                metadata = try parseMetadata(value, failure: failure)
            } else {
                entries.append(
                    try parseEntry(name: key, value, dataSize: dataSize, failure: failure))
            }
        }
        try checkCoverage(entries, dataSize: dataSize, failure: failure)

        let tensors = bytes.withUnsafeBytes { raw in
            entries.map { entry in
                SafetensorsTensor(
                    name: entry.name, shape: entry.shape,
                    values: entry.dtype.decode(
                        raw, from: dataStart + entry.begin, count: entry.count))
            }
        }
        return SafetensorsFile(tensors: tensors, metadata: metadata)
    }

    /// A tensor's header entry, checked on its own.
    private struct Entry {
        var name: String
        var dtype: DType
        var shape: [Int]
        var count: Int
        var begin: Int
        var end: Int
    }

    private static func parseMetadata(
        _ value: JSONValue, failure: (String) -> ArtifactError
    ) throws -> [String: String] {
        guard case .object(let pairs) = value else {
            throw failure("__metadata__ is \(value.kind), not an object")
        }
        var metadata: [String: String] = [:]
        for (key, value) in pairs {
            guard case .string(let text) = value else {
                throw failure("__metadata__ value for \"\(key)\" is \(value.kind), not a string")
            }
            metadata[key] = text
        }
        return metadata
    }

    private static func parseEntry(
        name: String, _ value: JSONValue, dataSize: Int, failure: (String) -> ArtifactError
    ) throws -> Entry {
        func fail(_ message: String) -> ArtifactError { failure("tensor \"\(name)\": \(message)") }
        guard case .object(let fields) = value else {
            throw fail("entry is \(value.kind), not an object")
        }
        var dtypeValue: JSONValue?
        var shapeValue: JSONValue?
        var offsetsValue: JSONValue?
        for (key, field) in fields {
            switch key {
            case "dtype": dtypeValue = field
            case "shape": shapeValue = field
            case "data_offsets": offsetsValue = field
            default: throw fail("unexpected key \"\(key)\"")
            }
        }
        guard case .string(let dtypeName)? = dtypeValue else {
            throw fail("dtype missing or not a string")
        }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw fail("unsupported dtype \"\(dtypeName)\" (supported: F32, F64, F16, BF16)")
        }
        guard case .array(let shapeItems)? = shapeValue else {
            throw fail("shape missing or not an array")
        }
        let shape = shapeItems.compactMap(\.nonNegativeInteger)
        guard shape.count == shapeItems.count else {
            throw fail("shape is not a list of non-negative integers")
        }
        guard case .array(let offsetItems)? = offsetsValue, offsetItems.count == 2,
            let begin = offsetItems[0].nonNegativeInteger,
            let end = offsetItems[1].nonNegativeInteger
        else { throw fail("data_offsets missing or not two non-negative integers") }
        guard begin <= end, end <= dataSize else {
            throw fail(
                "data_offsets [\(begin), \(end)] out of range for a data buffer of \(dataSize) bytes"
            )
        }
        guard let count = elementCount(shape),
            case (let size, false) = count.multipliedReportingOverflow(by: dtype.size),
            size == end - begin
        else {
            throw fail(
                "shape \(shape) of \(dtypeName) does not fit data_offsets [\(begin), \(end)] (\(end - begin) bytes)"
            )
        }
        return Entry(name: name, dtype: dtype, shape: shape, count: count, begin: begin, end: end)
    }

    /// Checks that the tensors' byte ranges tile the data buffer exactly: no overlaps, no gaps,
    /// no trailing bytes.
    private static func checkCoverage(
        _ entries: [Entry], dataSize: Int, failure: (String) -> ArtifactError
    ) throws {
        let ordered = entries.sorted { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var covered = 0
        var previous: String?
        for entry in ordered {
            if entry.begin < covered {
                throw failure(
                    "tensor \"\(entry.name)\": data_offsets [\(entry.begin), \(entry.end)] overlap tensor \"\(previous ?? "")\""
                )
            }
            if entry.begin > covered {
                throw failure(
                    "bytes \(covered)..<\(entry.begin) of the data buffer belong to no tensor")
            }
            covered = entry.end
            previous = entry.name
        }
        if covered != dataSize {
            throw failure("bytes \(covered)..<\(dataSize) of the data buffer belong to no tensor")
        }
    }
}

// MARK: - Element types

/// The element types this reader understands, with their size and decoding to `Float`.
private enum DType: String {
    case f32 = "F32"
    case f64 = "F64"
    case f16 = "F16"
    case bf16 = "BF16"

    var size: Int {
        switch self {
        case .f32: 4
        case .f64: 8
        case .f16, .bf16: 2
        }
    }

    /// Decodes `count` little-endian elements starting at byte `offset` of `raw`.
    func decode(_ raw: UnsafeRawBufferPointer, from offset: Int, count: Int) -> [Float] {
        switch self {
        case .f32:
            return (0..<count).map {
                Float(
                    bitPattern: UInt32(
                        littleEndian: raw.loadUnaligned(
                            fromByteOffset: offset + 4 * $0, as: UInt32.self)))
            }
        case .f64:
            return (0..<count).map {
                Float(
                    Double(
                        bitPattern: UInt64(
                            littleEndian: raw.loadUnaligned(
                                fromByteOffset: offset + 8 * $0, as: UInt64.self))))
            }
        case .f16:
            return (0..<count).map {
                halfToFloat(
                    UInt16(
                        littleEndian: raw.loadUnaligned(
                            fromByteOffset: offset + 2 * $0, as: UInt16.self)))
            }
        case .bf16:
            // bfloat16 is the upper half of a float32.
            return (0..<count).map {
                Float(
                    bitPattern: UInt32(
                        UInt16(
                            littleEndian: raw.loadUnaligned(
                                fromByteOffset: offset + 2 * $0, as: UInt16.self))) << 16)
            }
        }
    }
}

/// IEEE 754 binary16 bits to `Float`, exactly (every half value is a float). Written out rather
/// than using `Float16`, which is unavailable on some Swift platforms (macOS on x86-64).
func halfToFloat(_ bits: UInt16) -> Float {
    let sign = UInt32(bits & 0x8000) << 16
    let exponent = UInt32(bits >> 10) & 0x1F
    let mantissa = UInt32(bits & 0x3FF)
    switch exponent {
    case 0:
        // Zero or subnormal: mantissa × 2⁻²⁴.
        let magnitude = Float(mantissa) * 0x1p-24
        return sign == 0 ? magnitude : -magnitude
    case 0x1F:
        // Infinity or NaN; the NaN payload moves to the top of the float mantissa.
        return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
    default:
        // Rebias the exponent from 15 to 127.
        return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
    }
}
