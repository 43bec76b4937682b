import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A swift-log handler that writes one line per message to standard error, prefixed with the
/// syslog priority that journald reads off the start of each line (`<3>` error … `<7>` debug),
/// so `journalctl -p warning -u mlpd` filters as expected. journald adds the time itself.
///
/// Line format: `<N>LEVEL LABEL: message key=value …` (metadata sorted by key; values with
/// spaces quoted). Each line goes out in one `write(2)`, so lines of concurrent loggers do not
/// interleave.
public struct JournalLogHandler: LogHandler {
    /// The logger's label, printed after the level.
    public let label: String
    /// The level shared by all handlers made with the same `SharedLogLevel`, so that a reload
    /// changes it everywhere; setting it here sets it for all of them.
    public let level: SharedLogLevel
    /// Metadata attached to every message of this logger.
    public var metadata: Logger.Metadata = [:]
    private let fileDescriptor: Int32

    /// A handler for `label` writing to `fileDescriptor` (standard error by default).
    public init(label: String, level: SharedLogLevel, fileDescriptor: Int32 = STDERR_FILENO) {
        self.label = label
        self.level = level
        self.fileDescriptor = fileDescriptor
    }

    /// Messages below this level are dropped.
    public var logLevel: Logger.Level {
        get { level.value }
        set { level.value = newValue }
    }

    /// The journald priority of a level: trace and debug 7, info 6, notice 5, warning 4,
    /// error 3, critical 2.
    public static func priority(of level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    /// One metadata value of this logger.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes the event as one line (this logger's metadata merged with the event's).
    public func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        emit(Self.format(level: event.level, label: label, message: "\(event.message)", metadata: all))
    }

    /// One log line, without its newline; newlines inside the message become `\n` so that each
    /// message stays one journal entry.
    public static func format(level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> String {
        var line = "<\(priority(of: level))>\(level) \(label): " + message.replacingOccurrences(of: "\n", with: "\\n")
        for key in metadata.keys.sorted() {
            let value = "\(metadata[key]!)"
            let quoted = value.contains(where: { $0 == " " || $0 == "\"" || $0 == "\n" })
                ? "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                    .replacingOccurrences(of: "\n", with: "\\n") + "\""
                : value
            line += " \(key)=\(quoted)"
        }
        return line
    }

    private func emit(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fileDescriptor, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return }
                offset += n
            }
        }
    }
}

/// A log level that several handlers read, changed at run time by a configuration reload.
public final class SharedLogLevel: Sendable {
    private let storage: Mutex<Logger.Level>

    /// A shared level starting at `level`.
    public init(_ level: Logger.Level) { storage = Mutex(level) }

    /// The level now in force.
    public var value: Logger.Level {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}
