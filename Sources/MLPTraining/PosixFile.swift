#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The few POSIX file operations the artifact writers share, each turning a failed call into an
/// `ArtifactError` that names the file and gives `strerror(errno)`.
public enum PosixFile {
    /// Reads the whole regular file at `path`.
    public static func readAll(path: String) throws(ArtifactError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .posix("open", path: path) }
        defer { _ = close(fd) }

        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .posix("fstat", path: path) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw ArtifactError(code: .io, path: path, message: "not a regular file")
        }
        // The size is a hint only: the loop reads until end of file, so a file that grows or
        // shrinks meanwhile is still read consistently up to where read() returns 0.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(info.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .posix("read", path: path)
            }
            if n == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }

    /// Writes all of `bytes` to `fd`, looping over partial writes and `EINTR`.
    static func writeAll(_ bytes: [UInt8], to fd: Int32, path: String) throws(ArtifactError) {
        var failure: ArtifactError?
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = .posix("write", path: path)
                    return
                }
                // write(2) returns 0 only for a zero-length request; treat it as an error
                // rather than spin.
                if n == 0 {
                    failure = ArtifactError(
                        code: .io, path: path, message: "write made no progress")
                    return
                }
                offset += n
            }
        }
        if let failure { throw failure }
    }

    /// `fsync(fd)`, retried on `EINTR`. With `allowingUnsupported`, an `EINVAL` (the file
    /// system cannot sync this kind of file, as some do for directories) counts as success.
    static func sync(_ fd: Int32, path: String, allowingUnsupported: Bool = false)
        throws(ArtifactError)
    {
        while fsync(fd) != 0 {
            let code = errno
            if code == EINTR { continue }
            if code == EINVAL && allowingUnsupported { return }
            throw .posix("fsync", path: path, errno: code)
        }
    }

    /// Whether `path` names an existing directory (following symbolic links).
    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }
}
