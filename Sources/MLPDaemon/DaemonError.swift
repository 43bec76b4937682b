/// A refusal or failure of a daemon operation, with the HTTP status the API answers with and a
/// message that names the job, key or file at fault.
public struct DaemonError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure, mapped one to one onto an HTTP status.
    public enum Code: Int, Sendable {
        /// 400: the job or the request is malformed (a `ConfigError`, a path outside the roots).
        case badRequest = 400
        /// 401: TCP request without the right bearer token.
        case unauthorized = 401
        /// 404: no such job.
        case notFound = 404
        /// 409: the job is in a state that does not allow the operation.
        case conflict = 409
        /// 413: the request body is over the limit.
        case tooLarge = 413
        /// 429: the queue is full.
        case queueFull = 429
        /// 500: the daemon could not do its part (disk full, permissions).
        case `internal` = 500
        /// 503: the daemon is stopping.
        case unavailable = 503
    }

    /// The kind of failure (and HTTP status).
    public var code: Code
    /// What went wrong, naming the job, key or file.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
