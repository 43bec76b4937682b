import Foundation
import MLPDaemon
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The API's answers to bad input, against the real binary.
@Suite(.serialized) struct APITests {
    @Test func refusesBadInputAndKeepsServing() async throws {
        let scratch = try Scratch()
        let daemon = try DaemonProcess(scratch: scratch)
        defer { daemon.kill9() }
        try await daemon.waitUntilServing()
        let client = daemon.client

        // The socket is not world-accessible.
        var info = stat()
        #expect(stat(daemon.socket, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o660)

        // A bad job: 400 with exactly what mlpd train prints.
        let bad = try scratch.write("bad.yaml", "model: {layrs: [4, 3]}\n")
        let train = Process()
        train.executableURL = URL(fileURLWithPath: Paths.binary)
        train.arguments = ["train", bad]
        let pipe = Pipe()
        train.standardError = pipe
        try train.run()
        let cliMessage = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        train.waitUntilExit()
        let refused = try await client.request("POST", "/v1/jobs?file=\(bad)", body: Array("model: {layrs: [4, 3]}\n".utf8))
        #expect(refused.status == 400)
        let message = try JSONDecoder().decode([String: String].self, from: Data(refused.body))["error"]
        #expect(cliMessage == "mlpd: error: \(message ?? "?")\n")
        #expect(message?.contains("did you mean 'layers'") == true)

        // Paths outside the allowed roots, also through .. and a symbolic link.
        try "1,2,0\n".write(toFile: "/tmp/mlpdd-outside.csv", atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: "/tmp/mlpdd-outside.csv") }
        try FileManager.default.createSymbolicLink(atPath: scratch.file("link.csv"), withDestinationPath: "/tmp/mlpdd-outside.csv")
        let escape = "\(Paths.data)" + String(repeating: "/..", count: 12) + "/tmp/mlpdd-outside.csv"
        for path in ["/tmp/mlpdd-outside.csv", escape, scratch.file("link.csv")] {
            let yaml = digitsJob().replacingOccurrences(of: Paths.digits, with: path)
            do {
                _ = try await client.submit(yaml: yaml, file: "job.yaml")
                Issue.record("\(path) should be refused")
            } catch let error as DaemonClientError {
                #expect(error.status == 400)
                #expect(error.message.contains("data.train.path") && error.message.contains("outside the allowed data roots"))
            }
        }
        // init.from is checked too, and relative paths need a working directory.
        let fromOutside = digitsJob().replacingOccurrences(of: "model: {layers: [64, 16, 10]}",
                                                           with: "model: {layers: [64, 16, 10], init: {from: /etc/hostname}}")
        await #expect(throws: DaemonClientError.self) { try await client.submit(yaml: fromOutside, file: "job.yaml") }
        let relative = digitsJob().replacingOccurrences(of: Paths.digits, with: "data/digits.csv.gz")
        await #expect(throws: DaemonClientError.self) { try await client.submit(yaml: relative, file: "job.yaml") }
        let resolved = try await client.submit(yaml: relative, file: "job.yaml", cwd: Paths.repository.path)
        #expect(resolved.workingDirectory == Paths.repository.path)

        // Unknown job: 404; oversized body: 413; unknown route: 404.
        #expect(try await client.request("GET", "/v1/jobs/20200101-000000-000000").status == 404)
        #expect(try await client.request("POST", "/v1/jobs/nope/cancel").status == 404)
        #expect(try await client.request("POST", "/v1/jobs", body: [UInt8](repeating: 32, count: (1 << 20) + 1)).status == 413)
        #expect(try await client.request("GET", "/v2/nothing").status == 404)

        // A job that diverges and one with bad data fail alone; the next job succeeds.
        let diverging = try await client.submit(
            yaml: digitsJob(epochs: 1, learningRate: "1.0e30").replacingOccurrences(
                of: "layers: [64, 16, 10]", with: "layers: [64, 16, 10], activation: relu, output_activation: identity"),
            file: "nan.yaml")
        try scratch.write("garbage.csv", "1,2,0\n3,x,1\n")
        let garbage = try await client.submit(
            yaml: "model: {layers: [2, 3, 2]}\ndata: {train: {path: \(scratch.file("garbage.csv"))}}\ntrain: {epochs: 1, optimizer: {learning_rate: 0.1}}\n",
            file: "garbage.yaml")
        let good = try await client.submit(yaml: digitsJob(epochs: 1), file: "good.yaml")
        let nan = try await daemon.waitForJob(diverging.id) { $0.state.isTerminal }
        #expect(nan.state == .failed && nan.error?.contains("diverged") == true)
        let data = try await daemon.waitForJob(garbage.id) { $0.state.isTerminal }
        #expect(data.state == .failed && data.error?.contains("garbage.csv") == true, "\(data.error ?? "")")
        let ok = try await daemon.waitForJob(good.id) { $0.state.isTerminal }
        #expect(ok.state == .succeeded)
        #expect(try await client.log(nan.id).contains("failed: training diverged"))

        // The job's metrics and the Prometheus page.
        let metrics = try await client.request("GET", "/v1/jobs/\(good.id)/metrics")
        #expect(metrics.status == 200 && metrics.text.contains("\"epochs\""))
        let page = try await client.request("GET", "/metrics").text
        for name in ["mlpd_training_step", "mlpd_training_cost", "mlpd_training_examples_per_second",
                     "mlpd_worker_busy_seconds_total{worker=\"0\"}", "mlpd_reduction_seconds_total",
                     "mlpd_queue_length", "mlpd_jobs{state=\"failed\"} 2"] {
            #expect(page.contains(name), "\(name) missing from /metrics")
        }
        // Cancelling an ended job is a conflict.
        #expect(try await client.request("POST", "/v1/jobs/\(ok.id)/cancel").status == 409)
    }

    @Test func tcpNeedsTheTokenAndTheQueueHasALimit() async throws {
        let scratch = try Scratch()
        let token = "s3cret-token-0123456789"
        let tokenFile = try scratch.write("token", token + "\n")
        let daemon = try DaemonProcess(
            scratch: scratch,
            extraConfig: "listen: {host: 127.0.0.1, port: 0, token_file: \(tokenFile)}\nstart_jobs: false\nqueue_limit: 2")
        defer { daemon.kill9() }
        var port: Int?
        for _ in 0..<500 where port == nil {
            if let line = daemon.log.split(separator: "\n").first(where: { $0.contains("listening on 127.0.0.1:") }) {
                port = Int(line.split(separator: ":").last ?? "")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let tcpPort = try #require(port, "\(daemon.log)")
        let anonymous = DaemonClient(endpoint: .tcp(host: "127.0.0.1", port: tcpPort))
        let wrong = DaemonClient(endpoint: .tcp(host: "127.0.0.1", port: tcpPort), token: "s3cret-token-0123456780")
        let right = DaemonClient(endpoint: .tcp(host: "127.0.0.1", port: tcpPort), token: token)
        #expect(try await anonymous.request("GET", "/healthz").status == 200)
        #expect(try await anonymous.request("GET", "/v1/jobs").status == 401)
        #expect(try await wrong.request("GET", "/v1/jobs").status == 401)
        #expect(try await right.request("GET", "/v1/jobs").status == 200)

        let a = try await right.submit(yaml: digitsJob(), file: "a.yaml", priority: 1)
        _ = try await right.submit(yaml: digitsJob(), file: "b.yaml")
        do {
            _ = try await right.submit(yaml: digitsJob(), file: "c.yaml")
            Issue.record("the third job exceeds queue_limit 2")
        } catch let error as DaemonClientError {
            #expect(error.status == 429)
        }
        // Cancelling a queued job frees a place, durably.
        let cancelled = try await right.cancel(a.id)
        #expect(cancelled.state == .cancelled)
        let onDisk = try JobRecord.decoder().decode(
            JobRecord.self, from: Data(contentsOf: URL(fileURLWithPath: cancelled.directory + "/job.json")))
        #expect(onDisk.state == .cancelled)
        _ = try await right.submit(yaml: digitsJob(), file: "c.yaml")
    }
}
