import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The directories jobs may read data and initial weights from (`allowed_data_roots`).
///
/// Both the roots and the checked paths are resolved with `realpath(3)` (every `..` and symbolic
/// link followed), so neither `data/../../etc/passwd` nor a link inside a root pointing out of it
/// gets through.
public struct DataRoots: Sendable, Equatable {
    /// The resolved roots.
    public let roots: [String]
    /// Configured roots that could not be resolved (missing), with the reason.
    public let unusable: [String]

    /// Resolves the configured roots; missing ones are left out and listed in `unusable`.
    public init(_ configured: [String]) {
        var roots: [String] = []
        var unusable: [String] = []
        for root in configured {
            if let resolved = Self.realPath(root) {
                roots.append(resolved)
            } else {
                unusable.append("\(root): \(String(cString: strerror(errno)))")
            }
        }
        self.roots = roots
        self.unusable = unusable
    }

    /// The resolved form of `path` (absolute) when it lies in a root.
    ///
    /// - Throws: `DaemonError.badRequest` naming `key` when the file does not exist or lies
    ///   outside every root.
    public func check(_ path: String, key: String) throws -> String {
        guard let resolved = Self.realPath(path) else {
            throw DaemonError(.badRequest, "\(key): \(path): \(String(cString: strerror(errno)))")
        }
        guard roots.contains(where: { resolved == $0 || resolved.hasPrefix($0 == "/" ? "/" : $0 + "/") }) else {
            let allowed = roots.isEmpty ? "none are configured (allowed_data_roots)" : roots.joined(separator: ", ")
            throw DaemonError(
                .badRequest,
                "\(key): \(path)\(resolved == path ? "" : " (\(resolved))") is outside the allowed data roots: \(allowed)")
        }
        return resolved
    }

    static func realPath(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }
}
