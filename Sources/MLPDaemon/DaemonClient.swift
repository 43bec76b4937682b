import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A client of the daemon's API over its Unix socket or loopback TCP (with a bearer token):
/// what `mlpd submit | jobs | status | watch | cancel` use, and the tests.
///
/// One HTTP/1.1 request per connection, on SwiftNIO's HTTP codec.
public struct DaemonClient: Sendable {
    /// Where the daemon listens.
    public enum Endpoint: Sendable, Equatable {
        /// A Unix domain socket.
        case socket(path: String)
        /// A TCP address (loopback).
        case tcp(host: String, port: Int)
    }

    /// A raw answer.
    public struct Reply: Sendable {
        /// The HTTP status code.
        public var status: Int
        /// The body as received.
        public var body: [UInt8]
        /// The body as UTF-8 text.
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Where requests go.
    public let endpoint: Endpoint
    /// The bearer token sent with every request, if any.
    public let token: String?

    /// A client for `endpoint`, sending `token` as a bearer token when given.
    public init(endpoint: Endpoint, token: String? = nil) {
        self.endpoint = endpoint
        self.token = token
    }

    /// Parses `http://HOST:PORT` (a path after the port is ignored).
    public static func endpoint(url: String) throws -> Endpoint {
        guard let components = URLComponents(string: url), components.scheme == "http", let host = components.host,
            !host.isEmpty
        else {
            throw DaemonClientError(status: nil, message: "--url: expected http://HOST:PORT, found '\(url)'")
        }
        return .tcp(host: host, port: components.port ?? 80)
    }

    // MARK: - Typed calls

    /// Submits a job file's text; `file` names it in errors, `cwd` resolves its relative paths.
    public func submit(yaml: String, file: String, name: String? = nil, priority: Int = 0, cwd: String? = nil) async throws
        -> JobRecord
    {
        var query = [("file", file), ("priority", String(priority))]
        if let name { query.append(("name", name)) }
        if let cwd { query.append(("cwd", cwd)) }
        return try await decode(JobRecord.self, request("POST", "/v1/jobs" + Self.query(query), body: Array(yaml.utf8)), expecting: [201])
    }

    /// All jobs in submission order.
    public func jobs() async throws -> [JobRecord] {
        try await decode(DaemonAPI.JobList.self, request("GET", "/v1/jobs"), expecting: [200]).jobs
    }

    /// One job.
    public func job(_ id: String) async throws -> JobRecord {
        try await decode(JobRecord.self, request("GET", "/v1/jobs/\(Self.escape(id))"), expecting: [200])
    }

    /// Cancels a job; returns its record (ended, or still stopping after the daemon's wait).
    public func cancel(_ id: String) async throws -> JobRecord {
        try await decode(JobRecord.self, request("POST", "/v1/jobs/\(Self.escape(id))/cancel"), expecting: [200, 202])
    }

    /// A job's log.
    public func log(_ id: String) async throws -> String {
        let reply = try await request("GET", "/v1/jobs/\(Self.escape(id))/log")
        guard reply.status == 200 else { throw Self.failure(reply) }
        return reply.text
    }

    private func decode<T: Decodable>(_ type: T.Type, _ reply: Reply, expecting statuses: Set<Int>) throws -> T {
        guard statuses.contains(reply.status) else { throw Self.failure(reply) }
        do {
            return try JobRecord.decoder().decode(type, from: Data(reply.body))
        } catch {
            throw DaemonClientError(status: reply.status, message: "unreadable answer from the daemon: \(error)")
        }
    }

    static func failure(_ reply: Reply) -> DaemonClientError {
        let message = (try? JSONDecoder().decode([String: String].self, from: Data(reply.body)))?["error"] ?? reply.text
        return DaemonClientError(status: reply.status, message: message)
    }

    static func query(_ items: [(String, String)]) -> String {
        items.isEmpty ? "" : "?" + items.map { "\($0.0)=\(escape($0.1))" }.joined(separator: "&")
    }

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")) ?? text
    }

    // MARK: - HTTP

    /// Sends one request (`method` such as `GET`) and reads the whole answer.
    ///
    /// - Throws: `DaemonClientError` when the daemon cannot be reached (naming the socket or
    ///   address); NIO errors for a connection broken mid-answer.
    public func request(_ method: String, _ path: String, body: [UInt8]? = nil) async throws -> Reply {
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connectTimeout(.seconds(10))
        let initializer: @Sendable (Channel) -> EventLoopFuture<NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>> = { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHTTPClientHandlers()
                return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
            }
        }
        let channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
        var headers = HTTPHeaders()
        do {
            switch endpoint {
            case .socket(let socketPath):
                channel = try await bootstrap.connect(unixDomainSocketPath: socketPath, channelInitializer: initializer)
                headers.add(name: "Host", value: "localhost")
            case .tcp(let host, let port):
                channel = try await bootstrap.connect(host: host, port: port, channelInitializer: initializer)
                headers.add(name: "Host", value: "\(host):\(port)")
            }
        } catch {
            throw DaemonClientError(status: nil, message: "cannot reach the daemon at \(describe(endpoint)): \(error)")
        }
        if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        headers.add(name: "Connection", value: "close")
        if let body {
            headers.add(name: "Content-Length", value: String(body.count))
            headers.add(name: "Content-Type", value: "application/yaml")
        }
        let head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: path, headers: headers)
        return try await channel.executeThenClose { inbound, outbound in
            // One write: with `Connection: close` the daemon may answer and close as soon as it
            // has the head of a body-less request, and a second write would then fail.
            var parts: [HTTPClientRequestPart] = [.head(head)]
            if let body { parts.append(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
            parts.append(.end(nil))
            try await outbound.write(contentsOf: parts)
            var status = 0
            var bytes: [UInt8] = []
            for try await part in inbound {
                switch part {
                case .head(let response): status = Int(response.status.code)
                case .body(let buffer): bytes += buffer.readableBytesView
                case .end: return Reply(status: status, body: bytes)
                }
            }
            throw DaemonClientError(status: nil, message: "the daemon closed the connection before answering")
        }
    }

    private func describe(_ endpoint: Endpoint) -> String {
        switch endpoint {
        case .socket(let path): return path
        case .tcp(let host, let port): return "\(host):\(port)"
        }
    }
}

/// A failed client call: the daemon's status and message (`status` nil when it was not reached).
public struct DaemonClientError: Error, Sendable, CustomStringConvertible {
    /// The daemon's HTTP status, nil when it was not reached or did not answer.
    public var status: Int?
    /// The daemon's error message, or what went wrong on the way.
    public var message: String
    /// The message with the status.
    public var description: String { status.map { "\(message) (HTTP \($0))" } ?? message }

    /// An error with the daemon's `status` (nil when it was not reached) and `message`.
    public init(status: Int?, message: String) {
        self.status = status
        self.message = message
    }
}
