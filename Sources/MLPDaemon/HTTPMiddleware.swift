import Foundation
import Hummingbird
import MLPConfig
import NIOCore

/// Turns every error a route throws into a JSON body `{"error": "message"}` with its status:
/// `DaemonError` by its code, `ConfigError` 400 (its text is what `mlpd train` prints),
/// Hummingbird's `HTTPError` (unknown route, 404) by its status, anything else 500.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as DaemonError {
            return Self.response(HTTPResponse.Status(code: error.code.rawValue), error.message)
        } catch let error as ConfigError {
            return Self.response(.badRequest, error.description)
        } catch let error as HTTPError {
            let message = error.body ?? (error.status == .notFound ? "no such route: \(request.method) \(request.uri.path)" : error.status.reasonPhrase)
            var response = Self.response(error.status, message)
            response.headers.append(contentsOf: error.headers)
            return response
        } catch is NIOTooManyBytesError {
            return Self.response(.contentTooLarge, "the request body is over the limit of \(DaemonAPI.maxBodyBytes) bytes")
        } catch {
            context.logger.error("request failed: \(error)")
            return Self.response(.internalServerError, "\(error)")
        }
    }

    /// The JSON body of an error.
    struct Body: Codable {
        var error: String
    }

    static func response(_ status: HTTPResponse.Status, _ message: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = (try? encoder.encode(Body(error: message))) ?? Data("{\"error\":\"\"}".utf8)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes + [10])))
    }
}

/// For TCP listening: every request except `GET /healthz` must carry
/// `Authorization: Bearer <token>`; otherwise 401 with `WWW-Authenticate: Bearer`. The token is
/// compared in constant time (the time does not depend on where a guess differs).
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]

    init(token: String) { self.token = Array(token.utf8) }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path == "/healthz" { return try await next(request, context) }
        let header = request.headers[.authorization] ?? ""
        let prefix = "Bearer "
        guard header.hasPrefix(prefix), constantTimeEqual(Array(header.utf8.dropFirst(prefix.utf8.count)), token) else {
            var headers = HTTPFields()
            headers[.wwwAuthenticate] = "Bearer realm=\"mlpd\""
            throw HTTPError(.unauthorized, headers: headers, message: "missing or wrong bearer token")
        }
        return try await next(request, context)
    }
}

/// Compares all bytes of the longer input whatever the contents, so timing reveals at most the
/// lengths.
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
    let n = max(a.count, b.count)
    for i in 0..<n {
        let x = i < a.count ? a[i] : 0
        let y = i < b.count ? b[i] : 0
        difference |= x ^ y
    }
    return difference == 0 && a.count == b.count
}
