#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Crash-safe file replacement: after `write` returns or throws, the target holds either its old
/// contents or the complete new ones, never a prefix — also across a power cut.
///
/// The bytes go to a temporary file `.<basename>.tmp-<pid>-<random>` in the target's directory
/// (a rename is only atomic within one file system), which is `fsync`ed, renamed over the target,
/// and then the directory is `fsync`ed so the rename itself is durable. On failure the temporary
/// file is removed.
///
/// A symbolic link at the target is replaced by a regular file, not followed. The new file gets
/// mode `0666` less the umask, not the old file's mode.
public enum AtomicFile {
    /// Atomically replaces (or creates) the file at `path` with `bytes`.
    ///
    /// - Throws: `ArtifactError` naming `path` (or the directory, if only its final `fsync`
    ///   failed — the new contents are then in place but may not survive a power cut).
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let (directory, name) = try split(path)
        let random = String(UInt64.random(in: .min ... .max), radix: 16)
        let prefix = directory.map { $0 == "/" ? "/" : $0 + "/" } ?? ""
        let temporary = "\(prefix).\(name).tmp-\(getpid())-\(random)"

        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else {
            throw ArtifactError.posix("creating temporary file \(temporary)", path: path)
        }
        var fdOpen = true
        var renamed = false
        defer {
            if fdOpen { _ = close(fd) }
            if !renamed { _ = unlink(temporary) }
        }

        try PosixFile.writeAll(bytes, to: fd, path: path)
        try PosixFile.sync(fd, path: path)
        fdOpen = false
        // close(2) may report a deferred write error (NFS); it is not retried on EINTR because
        // Linux releases the descriptor regardless.
        guard close(fd) == 0 else { throw ArtifactError.posix("close", path: path) }
        guard rename(temporary, path) == 0 else { throw ArtifactError.posix("rename", path: path) }
        renamed = true
        try syncDirectory(directory ?? ".")
    }

    /// Atomically replaces (or creates) the file at `path` with the UTF-8 encoding of `text`.
    ///
    /// - Throws: `ArtifactError` naming `path`; see `write(_:to:)` for bytes.
    public static func write(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }

    /// Creates the directory at `path` and any missing parents (`mkdir -p`, mode `0777` less the
    /// umask). An existing directory is fine.
    ///
    /// - Throws: `ArtifactError` naming `path` when a component exists but is not a directory or
    ///   `mkdir` fails.
    public static func createDirectory(_ path: String) throws {
        guard !path.isEmpty else {
            throw ArtifactError(code: .io, path: path, message: "empty directory path")
        }
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in components {
            prefix += (prefix.isEmpty || prefix == "/" ? "" : "/") + component
            if PosixFile.isDirectory(prefix) { continue }
            if mkdir(prefix, 0o777) == 0 { continue }
            let code = errno
            // Another process may have created it in between; anything else at that name is an
            // error.
            if code == EEXIST && PosixFile.isDirectory(prefix) { continue }
            let what = prefix == path ? "mkdir" : "mkdir \(prefix)"
            if code == EEXIST || code == ENOTDIR {
                throw ArtifactError(
                    code: .io, path: path,
                    message: "\(what) failed: \(prefix) exists and is not a directory")
            }
            throw ArtifactError.posix(what, path: path, errno: code)
        }
    }

    // MARK: - Helpers

    /// Splits `path` into its directory (nil for a bare name in the working directory) and base
    /// name.
    private static func split(_ path: String) throws(ArtifactError) -> (
        directory: String?, name: String
    ) {
        guard let slash = path.lastIndex(of: "/") else {
            guard !path.isEmpty, path != ".", path != ".." else {
                throw ArtifactError(code: .io, path: path, message: "not a file name")
            }
            return (nil, path)
        }
        let name = String(path[path.index(after: slash)...])
        guard !name.isEmpty, name != ".", name != ".." else {
            throw ArtifactError(code: .io, path: path, message: "not a file name")
        }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, name)
    }

    /// `fsync`s a directory so that a rename inside it is durable.
    private static func syncDirectory(_ directory: String) throws(ArtifactError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .posix("open directory for fsync", path: directory) }
        defer { _ = close(fd) }
        // Some file systems cannot fsync a directory and say so with EINVAL; the rename is then
        // as durable as that file system makes it, and failing would not help.
        try PosixFile.sync(fd, path: directory, allowingUnsupported: true)
    }
}
