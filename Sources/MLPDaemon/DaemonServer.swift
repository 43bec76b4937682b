import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import MLPConfig
import MLPTraining
import NIOCore
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `mlpd serve`: the daemon on its socket, under swift-service-lifecycle.
///
/// Startup: read the configuration, set the umask to 007 (job files and the socket are not
/// world-accessible), trap SIGHUP (before READY: its default action would kill the process),
/// open and recover the state directory, bind the socket (mode 0660) or loopback TCP port, then
/// send `READY=1`. SIGTERM or SIGINT: `STOPPING=1`, refuse new jobs, stop the running job after
/// its current step with a checkpoint, close the server, return (exit 0). SIGHUP:
/// `RELOADING=1`, re-read the configuration (a bad one is logged and the old one kept),
/// `READY=1`.
public struct DaemonServer: Sendable {
    /// The configuration file, re-read on SIGHUP.
    public let configPath: String
    /// The configuration read at startup.
    public let config: DaemonConfig
    /// The level all loggers share (changed by `log_level` on reload).
    public let logLevel: SharedLogLevel
    /// The daemon's metrics (also the registry swift-metrics should use).
    public let metrics: DaemonMetrics

    /// Reads the configuration at `configPath`.
    ///
    /// - Throws: `ConfigError` naming the file, line and key.
    public init(configPath: String, logLevel: SharedLogLevel, metrics: DaemonMetrics = DaemonMetrics()) throws {
        self.configPath = configPath
        config = try DaemonConfig.load(path: configPath)
        self.logLevel = logLevel
        self.metrics = metrics
        logLevel.value = Logger.Level(rawValue: config.logLevel) ?? .info
    }

    /// Runs until SIGTERM or SIGINT and a clean stop.
    public func run(logger: Logger) async throws {
        umask(0o007)
        let notifier = SystemdNotifier()
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let daemon = try Daemon(config: config, notifier: notifier, metrics: metrics, logger: logger)

        let address: BindAddress
        var token: String?
        switch config.listen {
        case .socket(let path):
            try AtomicFile.createDirectory((path as NSString).deletingLastPathComponent)
            address = .unixDomainSocket(path: path)
        case .tcp(let host, let port, let tokenFile):
            token = try Self.readToken(tokenFile)
            address = .hostname(host, port: port)
        }
        let listen = config.listen
        let app = Application(
            router: DaemonAPI.router(daemon: daemon, token: token),
            configuration: ApplicationConfiguration(address: address, serverName: "mlpd"),
            onServerRunning: { channel in
                switch listen {
                case .socket(let path):
                    // Owner and group (the unit's group) may connect; others may not.
                    chmod(path, 0o660)
                    logger.notice("listening on \(path)")
                case .tcp(let host, _, _):
                    logger.notice("listening on \(host):\(channel.localAddress?.port ?? 0)")
                }
                notifier.ready(status: daemon.statusLine)
            },
            logger: logger)
        let service = DaemonService(
            daemon: daemon, hangups: hangups, configPath: configPath, logLevel: logLevel, logger: logger)
        let group = ServiceGroup(
            configuration: .init(services: [app, service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.notice("stopped")
    }

    static func readToken(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw DaemonError(.internal, "\(path): cannot read the token file (listen.token_file)")
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard token.count >= 16 else {
            throw DaemonError(.internal, "\(path): the token must have at least 16 characters (listen.token_file)")
        }
        return token
    }
}

/// The daemon as a lifecycle service: starts the training worker, reloads on SIGHUP, and on
/// graceful shutdown sends `STOPPING=1` and waits for the worker to checkpoint and exit. It is
/// listed after the HTTP server, so it is shut down first and the API keeps answering (new jobs
/// get 503) while the running job stops.
struct DaemonService: Service {
    let daemon: Daemon
    let hangups: UnixSignalsSequence
    let configPath: String
    let logLevel: SharedLogLevel
    let logger: Logger

    func run() async throws {
        daemon.startWorker()
        await withGracefulShutdownHandler {
            for await _ in hangups.cancelOnGracefulShutdown() { reload() }
        } onGracefulShutdown: {
            daemon.notifier.stopping()
            logger.notice("stopping: the running job stops after its current step")
        }
        await daemon.stop()
    }

    private func reload() {
        daemon.notifier.reloading()
        do {
            let config = try DaemonConfig.load(path: configPath)
            for note in daemon.reload(config) { logger.warning("\(note)") }
            logLevel.value = Logger.Level(rawValue: config.logLevel) ?? .info
            logger.notice("configuration reloaded from \(configPath)")
        } catch {
            logger.error("reload failed, keeping the previous configuration: \(error)")
        }
        daemon.notifier.ready(status: daemon.statusLine)
    }
}

extension DaemonServer {
    /// Process-wide setup for `mlpd serve`: every swift-log logger writes journald-prefixed lines
    /// (`JournalLogHandler`) at `logLevel`, and swift-metrics reports into `metrics`' Prometheus
    /// registry (so the HTTP server's request metrics are on `/metrics` too). Call once, first.
    public static func bootstrapProcess(logLevel: SharedLogLevel, metrics: DaemonMetrics) {
        LoggingSystem.bootstrap { JournalLogHandler(label: $0, level: logLevel) }
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics.registry))
    }
}
