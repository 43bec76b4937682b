/// Reads NumPy `.npy` arrays.
///
/// Layout: the magic `\x93NUMPY`, a major and minor version byte (1.0: a 16-bit header
/// length; 2.0 and 3.0: 32-bit), the header (a Python dict literal such as
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (100, 64), }`), then the data.
/// Read: C order only, little-endian (or single-byte) dtypes `<f4`, `<f8`, `|u1`, `|i1`,
/// `<i2`, `<u2`, `<i4`, `<u4`, `<i8`, `<u8`. Features are an N × … array whose trailing
/// dimensions are flattened; the labels file is 1-D (class labels) or 2-D (real-valued
/// targets).
enum NPYReader {
    static func read(_ spec: DataSourceSpec, shape: DataShape) throws -> ParsedExamples {
        try BinaryPair.read(spec, shape: shape, format: .npy) { bytes, file, _ in
            try decode(bytes, file: file)
        }
    }

    static let supportedTypes = "'<f4', '<f8', '|u1', '|i1', '<i2', '<u2', '<i4', '<u4', '<i8', '<u8'"

    /// The array in an npy file's bytes.
    static func decode(_ bytes: [UInt8], file: String) throws -> BinaryArray {
        func fault(_ message: String, _ code: DataError.Code) -> DataError {
            DataError(file: file, message: message, code: code)
        }
        let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
        guard bytes.count >= 8, Array(bytes[0..<6]) == magic else {
            let start = bytes.prefix(6).map { byte in
                (32..<127).contains(byte) ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16)
            }.joined()
            throw fault("not an npy file: it starts with '\(start)', expected '\\x93NUMPY'", .badMagic)
        }
        let major = bytes[6]
        let lengthSize: Int
        switch major {
        case 1: lengthSize = 2
        case 2, 3: lengthSize = 4
        default: throw fault("npy format version \(major).\(bytes[7]) is not supported (1.0, 2.0, 3.0 are)", .unsupported)
        }
        guard bytes.count >= 8 + lengthSize else { throw fault("the npy header is truncated", .truncated) }
        let headerLength = bytes[8..<(8 + lengthSize)].reversed().reduce(0) { $0 << 8 | Int($1) }
        let dataOffset = 8 + lengthSize + headerLength
        guard bytes.count >= dataOffset else {
            throw fault(
                "the npy header announces \(headerLength) bytes but the file has "
                    + "\(bytes.count - 8 - lengthSize) after the length: the file is truncated",
                .truncated)
        }
        let header = try PythonLiteral.parse(bytes[(8 + lengthSize)..<dataOffset], file: file)
        guard case .dictionary(let entries) = header else {
            throw fault("the npy header is not a dictionary", .malformed)
        }
        let fields = Dictionary(entries, uniquingKeysWith: { first, _ in first })

        guard case .string(let descr)? = fields["descr"] else {
            throw fault("the npy header has no dtype ('descr') string: structured dtypes are not supported", .unsupported)
        }
        guard case .tuple(let dims)? = fields["shape"] else {
            throw fault("the npy header has no 'shape' tuple", .malformed)
        }
        var shape: [Int] = []
        for dim in dims {
            guard case .integer(let size) = dim, size >= 0 else {
                throw fault("the npy header's shape is not a tuple of sizes", .malformed)
            }
            shape.append(size)
        }
        guard case .boolean(let fortranOrder)? = fields["fortran_order"] else {
            throw fault("the npy header has no 'fortran_order' flag", .malformed)
        }
        if fortranOrder && shape.count > 1 {
            throw fault(
                "array is in Fortran (column-major) order; only C order is supported: save np.ascontiguousarray(a) instead",
                .unsupported)
        }
        let type = try elementType(descr, file: file)
        let array = BinaryArray(
            file: file, bytes: bytes, dataOffset: dataOffset, shape: shape, type: type,
            typeName: "'\(descr)'", bigEndian: false)
        try array.checkLength()
        return array
    }

    /// The element type of a dtype string such as `<f4`.
    private static func elementType(_ descr: String, file: String) throws -> ElementType {
        let order = descr.first
        let code = descr.dropFirst()
        let types: [Substring: ElementType] = [
            "f4": .float32, "f8": .float64, "u1": .uint8, "i1": .int8, "u2": .uint16, "i2": .int16,
            "u4": .uint32, "i4": .int32, "u8": .uint64, "i8": .int64,
        ]
        guard let type = types[code], order == "<" || order == "|" || order == ">" else {
            throw DataError(
                file: file, message: "unsupported dtype '\(descr)'; supported: \(supportedTypes)",
                code: .unsupported)
        }
        if order == ">" && type.size > 1 {
            throw DataError(
                file: file,
                message: "big-endian dtype '\(descr)' is not supported: save a.astype('<\(code)') instead",
                code: .unsupported)
        }
        return type
    }
}
