import CZlib

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Whole files as bytes, gzip-compressed or not. The one file of the module that calls zlib.
///
/// zlib's `gzread` detects a gzip stream by its content and passes other files through
/// unchanged, so the file name does not matter: `x.csv` may be compressed and `x.csv.gz` may
/// not be. Concatenated gzip members are read one after another, as `gunzip` does.
enum FileBytes {
    /// Bytes handed to one `gzread` call; also zlib's input buffer size. 1 MiB keeps the call
    /// count low for the 50 MB MNIST files without holding much extra memory.
    private static let chunkSize: Int32 = 1 << 20

    /// The whole (decompressed) content of the file at `path`.
    static func read(_ path: String) throws -> [UInt8] {
        errno = 0
        guard let file = gzopen(path, "rb") else {
            let reason = errno != 0 ? String(cString: strerror(errno)) : "out of memory"
            throw DataError(file: path, message: "cannot open: \(reason)", code: .cannotOpen)
        }
        defer { gzclose(file) }
        _ = gzbuffer(file, UInt32(chunkSize))

        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: Int(chunkSize))
        while true {
            let got = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32(chunkSize)) }
            if got < 0 { throw readError(file, path: path) }
            if got == 0 { break }
            bytes.append(contentsOf: chunk[0..<Int(got)])
        }
        // gzread reports a stream cut short by returning what it had and then 0; the fault is
        // only visible in the error state.
        var code: Int32 = 0
        _ = gzerror(file, &code)
        if code != Z_OK { throw readError(file, path: path) }
        return bytes
    }

    /// The error for a failed read: a system error, or a corrupt or truncated gzip stream.
    private static func readError(_ file: gzFile, path: String) -> DataError {
        var code: Int32 = 0
        var text = gzerror(file, &code).map { String(cString: $0) } ?? ""
        // zlib prefixes its message with the path, which the error names already.
        if text.hasPrefix(path + ": ") { text.removeFirst(path.count + 2) }
        if code == Z_ERRNO {
            return DataError(
                file: path, message: "cannot read: \(String(cString: strerror(errno)))", code: .cannotOpen)
        }
        let detail = text.isEmpty ? "" : " (\(text))"
        return DataError(
            file: path, message: "corrupt or truncated gzip data\(detail)", code: .corruptCompression)
    }
}
