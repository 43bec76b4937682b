import Foundation

/// The configuration of `mlpd serve` (by default `/etc/mlpd/mlpd.yaml`), typed and validated
/// with the same strict reader as job files: unknown keys, wrong types and out-of-range values
/// are `ConfigError`s naming the file, line, column and key, with a "did you mean".
///
/// Keys (all optional; the defaults make a working daemon for the systemd unit):
/// - `state_dir`: where jobs live (`<state_dir>/jobs/<id>/`). Default `/var/lib/mlpd`.
/// - `listen`: `{socket: PATH}` (default `{socket: /run/mlpd/mlpd.sock}`), or
///   `{host: H, port: P, token_file: PATH}` for loopback TCP: `host` must be a loopback address
///   (`127.0.0.1`, `::1`, `localhost`), `port` 0–65535 (0: any free port, logged), and
///   `token_file` (required with TCP) holds the bearer token every request must carry.
/// - `queue_limit`: most jobs waiting to run (queued, not counting the running one), ≥ 1;
///   submissions beyond it are refused with 429. Default 1000.
/// - `checkpoint`: `{every_steps: N, every_seconds: S, keep: K}`. A checkpoint is written when
///   either is due (`every_steps` ≥ 1, `every_seconds` > 0; give at least one, or `null` both to
///   checkpoint only at stop); the newest `keep` (≥ 1) are kept. Defaults 1000 steps, 300 s, 3.
/// - `allowed_data_roots`: a list of directories. A job may read data and initial weights
///   only below one of them, after `..` and symbolic links are resolved. Default: none (every
///   job is refused until roots are configured).
/// - `start_jobs`: when false, jobs are accepted and queued but none is started (maintenance,
///   and tests that only exercise the queue). Default true.
/// - `log_level`: `trace`, `debug`, `info`, `notice`, `warning`, `error` or `critical`.
///   Default `info`.
/// - `parallel`: `{threads: auto | N}` (N ≥ 1). A number replaces every job's
///   `parallel.threads` (the daemon owns the machine; the weights do not depend on it); `auto`
///   (the default) keeps each job's own setting.
/// - `testing`: `{step_delay_ms: N}` sleeps N ms after every training step, so that tests can
///   stop or kill the daemon in the middle of an epoch of a small job. Default 0; never set it
///   in production.
public struct DaemonConfig: Sendable, Equatable {
    /// Where the daemon accepts API requests.
    public enum Listen: Sendable, Equatable {
        /// A Unix domain socket at this path (created with mode 0660).
        case socket(path: String)
        /// Loopback TCP; every request needs `Authorization: Bearer <contents of tokenFile>`.
        case tcp(host: String, port: Int, tokenFile: String)
    }

    /// When and how many checkpoints a running job writes.
    public struct Checkpointing: Sendable, Equatable {
        /// Checkpoint after this many steps since the run's start (nil: not by steps).
        public var everySteps: Int?
        /// Checkpoint when this many seconds passed since the last one (nil: not by time).
        public var everySeconds: Double?
        /// How many checkpoints to keep per job (≥ 1).
        public var keep: Int

        /// Creates a checkpoint policy.
        public init(everySteps: Int? = 1000, everySeconds: Double? = 300, keep: Int = 3) {
            self.everySteps = everySteps
            self.everySeconds = everySeconds
            self.keep = keep
        }
    }

    /// The state directory (`state_dir`).
    public var stateDirectory: String
    /// The API's address (`listen`).
    public var listen: Listen
    /// The most jobs waiting to run (`queue_limit`).
    public var queueLimit: Int
    /// The checkpoint policy (`checkpoint`).
    public var checkpoint: Checkpointing
    /// Directories a job may read from (`allowed_data_roots`), as written.
    public var allowedDataRoots: [String]
    /// Whether queued jobs are started (`start_jobs`).
    public var startJobs: Bool
    /// The log level name (`log_level`).
    public var logLevel: String
    /// Default training threads (`parallel.threads`); nil means `auto`.
    public var parallelThreads: Int?
    /// Milliseconds to sleep after each step (`testing.step_delay_ms`).
    public var stepDelayMilliseconds: Int

    /// The default socket path, also where the client looks first.
    public static let defaultSocketPath = "/run/mlpd/mlpd.sock"
    /// The default configuration file of `mlpd serve`.
    public static let defaultPath = "/etc/mlpd/mlpd.yaml"
    /// The accepted `log_level` names.
    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// Creates a configuration; every argument defaults as the YAML keys do.
    public init(
        stateDirectory: String = "/var/lib/mlpd", listen: Listen = .socket(path: defaultSocketPath),
        queueLimit: Int = 1000, checkpoint: Checkpointing = Checkpointing(),
        allowedDataRoots: [String] = [], startJobs: Bool = true, logLevel: String = "info",
        parallelThreads: Int? = nil, stepDelayMilliseconds: Int = 0
    ) {
        self.stateDirectory = stateDirectory
        self.listen = listen
        self.queueLimit = queueLimit
        self.checkpoint = checkpoint
        self.allowedDataRoots = allowedDataRoots
        self.startJobs = startJobs
        self.logLevel = logLevel
        self.parallelThreads = parallelThreads
        self.stepDelayMilliseconds = stepDelayMilliseconds
    }

    static let schema = KeySchema.mapping([
        .value("state_dir"),
        .mapping("listen", .mapping([.value("socket"), .value("host"), .value("port"), .value("token_file")])),
        .value("queue_limit"),
        .mapping("checkpoint", .mapping([.value("every_steps"), .value("every_seconds"), .value("keep")])),
        .value("allowed_data_roots"), .value("start_jobs"), .value("log_level"),
        .mapping("parallel", .mapping([.value("threads")])),
        .mapping("testing", .mapping([.value("step_delay_ms")])),
    ])
}

// MARK: - Parsing

extension DaemonConfig {
    /// Reads and parses the daemon configuration at `path`.
    public static func load(path: String) throws -> DaemonConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw ConfigError(
                file: path,
                message: "cannot read the daemon configuration: "
                    + (exists ? "permission denied, a directory or an I/O error" : "no such file"))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, message: "cannot read the daemon configuration: not valid UTF-8")
        }
        return try parse(yaml: text, file: path)
    }

    /// Parses a daemon configuration; an empty document gives all defaults. `file` names the
    /// source in errors.
    public static func parse(yaml: String, file: String) throws -> DaemonConfig {
        let root = try ConfigNode.parse(yaml: yaml, file: file)
        if let root, !root.isNull {
            guard case .mapping = root.content else {
                throw root.location.error(key: nil, "expected a mapping of daemon settings, found \(root.found)")
            }
        }
        return try DaemonConfig(reading: MappingReader(root, path: "", anchor: SourceLocation(file: file), schema: schema))
    }

    init(reading m: MappingReader) throws {
        self.init()
        stateDirectory = try m.value("state_dir", default: stateDirectory) { try $0.string($1, "a directory path") }
        listen = try Self.readListen(m.child("listen"))
        queueLimit = try m.integer("queue_limit", default: queueLimit, atLeast: 1)

        let c = try m.child("checkpoint")
        let defaults = Checkpointing()
        // Absent keys take their defaults; an explicit null turns that trigger off.
        func trigger<T>(_ key: String, _ fallback: T?, _ decode: (ConfigNode, String) throws -> T) throws -> T? {
            guard let raw = c.rawEntry(key) else { return fallback }
            return raw.value.isNull ? nil : try decode(raw.value, c.keyPath(key))
        }
        checkpoint = Checkpointing(
            everySteps: try trigger("every_steps", defaults.everySteps) { try $0.integer($1, atLeast: 1) },
            everySeconds: try trigger("every_seconds", defaults.everySeconds) { try $0.number($1, .above(0)) },
            keep: try c.integer("keep", default: defaults.keep, atLeast: 1))

        allowedDataRoots = try m.value("allowed_data_roots", default: []) { node, path in
            guard case .sequence(let items) = node.content else {
                throw node.location.error(key: path, "\(path): expected a list of directory paths, found \(node.found)")
            }
            return try items.enumerated().map { i, item in
                let text = try item.string("\(path)[\(i)]", "an absolute directory path")
                guard text.hasPrefix("/") else {
                    throw item.location.error(
                        key: "\(path)[\(i)]", "\(path)[\(i)]: expected an absolute directory path, found '\(text)'")
                }
                return text
            }
        }
        startJobs = try m.bool("start_jobs", default: startJobs)
        logLevel = try m.value("log_level", default: logLevel) { node, path in
            let levels = Self.logLevels.map(LevelName.init(rawValue:)).compactMap { $0 }
            return try node.keyword(path, among: levels).rawValue
        }
        let p = try m.child("parallel")
        parallelThreads = try p.value("threads", default: Int?.none) { node, path in
            if case .scalar("auto", _) = node.content { return nil }
            guard let threads = try? node.integer(path, atLeast: 1) else {
                throw node.location.error(key: path, "\(path): expected auto or an integer ≥ 1, found \(node.found)")
            }
            return threads
        }
        stepDelayMilliseconds = try m.child("testing").integer("step_delay_ms", default: 0, atLeast: 0)
    }

    private static func readListen(_ m: MappingReader) throws -> Listen {
        let tcpKeys = ["host", "port", "token_file"]
        if let socket = try m.optional("socket", { try $0.string($1, "a socket path") }) {
            for key in tcpKeys { try m.reject(key, appliesTo: "TCP listening", not: "a Unix socket") }
            return .socket(path: socket)
        }
        guard tcpKeys.contains(where: m.has) else { return .socket(path: defaultSocketPath) }
        let host = try m.string("host", "a loopback address")
        guard ["127.0.0.1", "::1", "localhost"].contains(host) || host.hasPrefix("127.") else {
            throw m.error(
                at: "host",
                "\(m.keyPath("host")): the API is plain HTTP, so TCP must stay on loopback "
                    + "(127.0.0.1, ::1 or localhost), found '\(host)'")
        }
        let port = try m.integer("port", atLeast: 0)
        guard port <= 65535 else { throw m.error(at: "port", "\(m.keyPath("port")): expected a port 0–65535, found \(port)") }
        let tokenFile = try m.value("token_file", default: nil) { try $0.string($1, "a file path") }
        return .tcp(host: host, port: port, tokenFile: tokenFile)
    }

    private struct LevelName: RawRepresentable {
        var rawValue: String
    }
}

// MARK: - Job overrides

extension DaemonConfig {
    /// The `--set`-style override that points a job's `output.dir` at `directory`, quoted so that
    /// any path reads back unchanged.
    public static func outputDirectoryOverride(_ directory: String) -> String {
        "output.dir=" + YAMLWriter.quoted(directory)
    }
}
