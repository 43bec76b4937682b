#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An error from writing or reading a run artifact (model file, metrics, chart).
///
/// The message always names the file at fault; for failed system calls it carries the call and
/// `strerror(errno)`.
public struct ArtifactError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Code: String, Sendable, Equatable {
        /// A system call (open, write, fsync, rename, mkdir, read, …) failed.
        case io
        /// The file's contents do not follow the format (e.g. a malformed safetensors header).
        case invalidFormat
        /// The value to be written cannot be represented in the format (e.g. duplicate names).
        case invalidContent
    }

    /// What kind of failure this is.
    public let code: Code
    /// The file or directory at fault, as the caller named it.
    public let path: String
    /// What went wrong, for a person to read.
    public let message: String

    /// Creates an error for `path`.
    public init(code: Code, path: String, message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    /// `path: message`.
    public var description: String { "\(path): \(message)" }

    /// An `.io` error for a failed system call, reading `errno` now: call it straight after the
    /// call that failed.
    static func posix(_ operation: String, path: String, errno code: Int32 = errno) -> ArtifactError
    {
        let reason = String(cString: strerror(code))
        return ArtifactError(
            code: .io, path: path, message: "\(operation) failed: \(reason) (errno \(code))")
    }
}
