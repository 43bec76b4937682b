import ArgumentParser
import Foundation
import MLPConfig
import MLPDaemon
import MLPTraining

/// How a client command reaches the daemon.
struct ClientOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The daemon's Unix socket (default: $MLPD_SOCKET, else \(DaemonConfig.defaultSocketPath)).", valueName: "path"))
    var socket: String?

    @Option(help: ArgumentHelp("The daemon's loopback TCP address instead of the socket, e.g. http://127.0.0.1:8750.",
                               valueName: "url"))
    var url: String?

    @Option(name: .customLong("token-file"), help: ArgumentHelp("File holding the bearer token (with --url).", valueName: "path"))
    var tokenFile: String?

    func validate() throws {
        if socket != nil && url != nil { throw ValidationError("give --socket or --url, not both") }
        if tokenFile != nil && url == nil { throw ValidationError("--token-file goes with --url") }
    }

    func client() throws -> DaemonClient {
        if let url {
            var token: String?
            if let tokenFile {
                guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
                    throw ValidationError("--token-file: cannot read \(tokenFile)")
                }
                token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            return DaemonClient(endpoint: try DaemonClient.endpoint(url: url), token: token)
        }
        let path = socket ?? ProcessInfo.processInfo.environment["MLPD_SOCKET"] ?? DaemonConfig.defaultSocketPath
        return DaemonClient(endpoint: .socket(path: path))
    }
}

/// Runs a client call; a daemon error becomes `mlpd: error: …` and exit status 1.
func reportingClientErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ExitCode {
        throw error
    } catch let error as DaemonClientError {
        FileHandle.standardError.write(Data("mlpd: error: \(error.message)\n".utf8))
        throw ExitCode(1)
    } catch {
        FileHandle.standardError.write(Data("mlpd: error: \(error)\n".utf8))
        throw ExitCode(1)
    }
}

struct Submit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Submit a training job (the YAML of mlpd train) to the daemon; prints its id.",
        discussion: "The daemon sets output.dir to the job's folder. Relative paths resolve against this directory.")

    @Argument(help: "The job config (YAML).")
    var job: String
    @Option(help: "Higher runs first; equal priorities run in submission order.")
    var priority: Int = 0
    @Option(help: "A label shown by mlpd jobs.")
    var name: String?
    @Flag(help: "Follow the job until it ends; exit 0 only if it succeeded.")
    var wait = false
    @OptionGroup var options: ClientOptions

    func run() async throws {
        try await reportingClientErrors {
            guard let yaml = try? String(contentsOfFile: job, encoding: .utf8) else {
                throw DaemonClientError(status: nil, message: "\(job): cannot read the job file")
            }
            let client = try options.client()
            let record = try await client.submit(
                yaml: yaml, file: job, name: name, priority: priority, cwd: FileManager.default.currentDirectoryPath)
            print(record.id)
            if wait { try await follow(record.id, client: client) }
        }
    }
}

struct Jobs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the daemon's jobs in submission order.")

    @Flag(help: "Print the records as JSON.")
    var json = false
    @OptionGroup var options: ClientOptions

    func run() async throws {
        try await reportingClientErrors {
            let jobs = try await options.client().jobs()
            if json {
                print(String(decoding: try JobRecord.encoder().encode(DaemonAPI.JobList(jobs: jobs)), as: UTF8.self))
                return
            }
            print(pad("ID", 24) + pad("STATE", 11) + pad("PRIO", 6) + pad("PROGRESS", 30) + "NAME")
            for job in jobs {
                print(pad(job.id, 24) + pad(job.state.rawValue, 11) + pad(String(job.priority), 6)
                      + pad(job.progress.map(describe) ?? "-", 30) + (job.name ?? job.file))
            }
        }
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show one job.")

    @Argument(help: "The job id.")
    var id: String
    @Flag(help: "Print the record as JSON.")
    var json = false
    @OptionGroup var options: ClientOptions

    func run() async throws {
        try await reportingClientErrors {
            let job = try await options.client().job(id)
            if json {
                print(String(decoding: try JobRecord.encoder().encode(job), as: UTF8.self))
                return
            }
            print("job \(job.id)  \(job.state.rawValue)  priority \(job.priority)  \(job.name ?? job.file)")
            print("  directory \(job.directory)")
            if let p = job.progress { print("  \(describe(p))") }
            if let step = job.resumedFromStep { print("  resumed from step \(step) (started \(job.starts) times)") }
            if let last = job.epochs.last { print("  " + describe(last, of: job.progress?.totalEpochs)) }
            if let error = job.error { print("  error: \(error)") }
        }
    }
}

struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow a job's progress until it ends; exit 0 only if it succeeded.")

    @Argument(help: "The job id.")
    var id: String
    @OptionGroup var options: ClientOptions

    func run() async throws {
        try await reportingClientErrors { try await follow(id, client: options.client()) }
    }
}

struct Cancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cancel a job: a queued one at once, a running one after its current step.")

    @Argument(help: "The job id.")
    var id: String
    @OptionGroup var options: ClientOptions

    func run() async throws {
        try await reportingClientErrors {
            let job = try await options.client().cancel(id)
            print("job \(job.id) \(job.state == .running ? "stopping" : job.state.rawValue)")
        }
    }
}

// MARK: - Shared output

/// Polls the job twice a second, printing a line for each new step state (at most one a
/// second) and each finished epoch, until it ends. Throws exit status 1 unless it succeeded.
func follow(_ id: String, client: DaemonClient) async throws {
    var shownEpochs = -1
    var lastLine = ContinuousClock.now - .seconds(10)
    var lastProgress: JobProgress?
    while true {
        let job = try await client.job(id)
        if shownEpochs < 0 { shownEpochs = job.epochs.count }
        for epoch in job.epochs.dropFirst(shownEpochs) { print(describe(epoch, of: job.progress?.totalEpochs)) }
        shownEpochs = max(shownEpochs, job.epochs.count)
        if let p = job.progress, p != lastProgress, ContinuousClock.now - lastLine >= .seconds(1) || job.state.isTerminal {
            print(describe(p))
            lastProgress = p
            lastLine = .now
        }
        fflush(nil)
        if job.state.isTerminal {
            print("job \(id) \(job.state.rawValue)" + (job.error.map { ": \($0)" } ?? ""))
            if job.state != .succeeded { throw ExitCode(1) }
            return
        }
        try await Task.sleep(for: .milliseconds(500))
    }
}

func describe(_ p: JobProgress) -> String {
    String(format: "epoch %d/%d step %d/%d cost %.5f %.0f ex/s", p.epoch, p.totalEpochs, p.stepInEpoch, p.stepsPerEpoch,
           p.cost, p.examplesPerSecond)
}

func describe(_ m: EpochMetrics, of total: Int?) -> String {
    var line = String(format: "epoch %d%@ train_cost %.6f", m.epoch, total.map { "/\($0)" } ?? "", m.trainCost)
    if let a = m.testAccuracy { line += String(format: " test_acc %.4f", a) }
    return line
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}
