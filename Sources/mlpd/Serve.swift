import ArgumentParser
import Foundation
import Logging
import MLPConfig
import MLPDaemon

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the training daemon: a job queue behind an HTTP/JSON API on a Unix socket.",
        discussion: "See docs/daemon.md. SIGTERM stops after the current step with a checkpoint; SIGHUP reloads the configuration.")

    @Option(help: "The daemon configuration (YAML).")
    var config: String = DaemonConfig.defaultPath

    func run() async throws {
        let level = SharedLogLevel(.info)
        let metrics = DaemonMetrics()
        let server: DaemonServer
        do {
            server = try DaemonServer(configPath: config, logLevel: level, metrics: metrics)
        } catch {
            FileHandle.standardError.write(Data("mlpd: error: \(error)\n".utf8))
            throw ExitCode(1)
        }
        DaemonServer.bootstrapProcess(logLevel: level, metrics: metrics)
        let logger = Logger(label: "mlpd")
        do {
            try await server.run(logger: logger)
        } catch {
            logger.critical("\(error)")
            throw ExitCode(1)
        }
    }
}
