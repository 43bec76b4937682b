import Foundation
import Hummingbird
import MLPConfig
import MLPTraining
import NIOCore
import NIOPosix

/// The HTTP/JSON API (documented in `docs/openapi.yaml`):
///
/// | method and path | answer |
/// | --- | --- |
/// | `POST /v1/jobs?name=&priority=&file=&cwd=` (body: the job YAML) | 201 and the job |
/// | `GET /v1/jobs` | 200 `{"jobs": [...]}` in submission order |
/// | `GET /v1/jobs/{id}` | 200 the job, 404 |
/// | `GET /v1/jobs/{id}/metrics` | 200 progress and finished epochs |
/// | `GET /v1/jobs/{id}/log` | 200 the job's log as text |
/// | `POST /v1/jobs/{id}/cancel` | 200 ended, 202 still stopping, 404, 409 already ended |
/// | `GET /metrics` | Prometheus text format |
/// | `GET /healthz` | 200 `ok` |
///
/// Errors are JSON `{"error": "message"}`. Bodies over `maxBodyBytes` are refused with 413.
/// Blocking work (fsync of job files) runs on NIO's thread pool, not on the async executors.
public enum DaemonAPI {
    /// The largest request body accepted (1 MiB: a job file is a few hundred bytes).
    public static let maxBodyBytes = 1 << 20

    /// The router for `daemon`; with a `token`, every route but `/healthz` requires
    /// `Authorization: Bearer <token>`.
    public static func router(daemon: Daemon, token: String?) -> Router<BasicRequestContext> {
        let router = Router()
        router.middlewares.add(ErrorMiddleware())
        if let token { router.middlewares.add(BearerTokenMiddleware(token: token)) }
        router.middlewares.add(MetricsMiddleware())

        router.get("/healthz") { _, _ in text("ok\n") }
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: daemon.metrics.render())))
        }
        router.post("/v1/jobs") { request, _ in
            if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBodyBytes {
                throw DaemonError(.tooLarge, "the request body is \(length) bytes; the limit is \(maxBodyBytes)")
            }
            var request = request
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: maxBodyBytes)
            } catch is NIOTooManyBytesError {
                throw DaemonError(.tooLarge, "the request body is over the limit of \(maxBodyBytes) bytes")
            }
            guard let yaml = body.getString(at: body.readerIndex, length: body.readableBytes, encoding: .utf8) else {
                throw DaemonError(.badRequest, "the job is not valid UTF-8")
            }
            let query = request.uri.queryParameters
            let priorityText = query.get("priority")
            guard let priority = priorityText.map({ Int($0) }) ?? 0 else {
                throw DaemonError(.badRequest, "priority: expected an integer, found '\(priorityText ?? "")'")
            }
            let file = query.get("file").flatMap { $0.isEmpty ? nil : $0 } ?? "job.yaml"
            let name = query.get("name").flatMap { $0.isEmpty ? nil : $0 }
            let cwd = query.get("cwd").flatMap { $0.isEmpty ? nil : $0 }
            let record = try await NIOThreadPool.singleton.runIfActive {
                try daemon.submit(yaml: yaml, file: file, name: name, priority: priority, workingDirectory: cwd)
            }
            var response = try json(record, status: .created)
            response.headers[.location] = "/v1/jobs/\(record.id)"
            return response
        }
        router.get("/v1/jobs") { request, _ in
            var jobs = daemon.jobs()
            if let state = request.uri.queryParameters.get("state") {
                guard let wanted = JobState(rawValue: state) else {
                    throw DaemonError(.badRequest, "state: expected one of \(JobState.allCases.map(\.rawValue).joined(separator: ", ")), found '\(state)'")
                }
                jobs = jobs.filter { $0.state == wanted }
            }
            return try json(JobList(jobs: jobs))
        }
        router.get("/v1/jobs/:id") { _, context in
            try json(daemon.job(context.parameters.require("id")))
        }
        router.get("/v1/jobs/:id/metrics") { _, context in
            let record = try daemon.job(context.parameters.require("id"))
            return try json(JobMetrics(id: record.id, state: record.state, progress: record.progress, epochs: record.epochs))
        }
        router.get("/v1/jobs/:id/log") { _, context in
            let record = try daemon.job(context.parameters.require("id"))
            let path = (record.directory as NSString).appendingPathComponent(JobStore.logFile)
            let bytes = try await NIOThreadPool.singleton.runIfActive { FileManager.default.contents(atPath: path) ?? Data() }
            return text(String(decoding: bytes, as: UTF8.self))
        }
        router.post("/v1/jobs/:id/cancel") { _, context in
            let (record, ended) = try await daemon.cancel(context.parameters.require("id"))
            return try json(record, status: ended ? .ok : .accepted)
        }
        return router
    }

    /// `GET /v1/jobs`.
    public struct JobList: Codable, Sendable {
        /// The jobs, in submission order.
        public var jobs: [JobRecord]

        /// A list of `jobs`.
        public init(jobs: [JobRecord]) { self.jobs = jobs }
    }

    /// `GET /v1/jobs/{id}/metrics`.
    public struct JobMetrics: Codable, Sendable {
        /// The job.
        public var id: String
        /// Its state.
        public var state: JobState
        /// Its last completed step.
        public var progress: JobProgress?
        /// Its finished epochs.
        public var epochs: [EpochMetrics]

        init(id: String, state: JobState, progress: JobProgress?, epochs: [EpochMetrics]) {
            (self.id, self.state, self.progress, self.epochs) = (id, state, progress, epochs)
        }
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        let bytes = try JobRecord.encoder().encode(value) + Data([10])
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func text(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
