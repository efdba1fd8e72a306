import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// An HTTP answer: status, headers (names lower-cased) and body.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String] = [:], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Sends one HTTP POST. The client's retries, cache and limits sit above it.
public protocol HTTPTransport: Sendable {
    /// Posts `body` and returns the answer, or fails with `.timeout`, `.transport` or
    /// `.cancelled`. Never takes (much) longer than `timeout` seconds.
    func post(url: String, headers: [(String, String)], body: [UInt8], timeout: Double) async throws(LLMFailure) -> HTTPResponse
}

/// The transport over Foundation's `URLSession` (FoundationNetworking on Linux).
///
/// The time limit is enforced here, not only by `URLRequest.timeoutInterval` (which is an
/// idle timeout): at the deadline the call returns `.timeout`. The request is then
/// abandoned, not cancelled: on Linux, `URLSessionTask.cancel()` takes the task's lock and
/// waits for the session's queue, which may be waiting for that lock, and a cancel issued
/// from the cooperative pool (directly, or through the async `data(for:)`'s cancellation
/// handler) deadlocked the whole process under a slow server. An abandoned request ends by
/// itself: its answer is dropped when it comes, and its idle timeout is the same limit.
public final class URLSessionTransport: HTTPTransport {
    private let session: URLSession

    public init() {
        let c = URLSessionConfiguration.ephemeral
        c.urlCache = nil
        c.httpShouldSetCookies = false
        c.httpMaximumConnectionsPerHost = 32
        c.timeoutIntervalForResource = 3600
        session = URLSession(configuration: c)
    }

    deinit { session.finishTasksAndInvalidate() }

    public func post(url: String, headers: [(String, String)], body: [UInt8], timeout: Double) async throws(LLMFailure) -> HTTPResponse {
        guard let u = URL(string: url) else { throw LLMFailure(.transport, "not a URL: \(url)") }
        var request = URLRequest(url: u)
        request.httpMethod = "POST"
        // FoundationNetworking rounds a request timeout below one second down to nothing.
        request.timeoutInterval = max(1, timeout)
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        request.httpBody = Data(body)
        let outcome = Promise<Result<HTTPResponse, LLMFailure>>()
        // The completion handler runs on the session's own queue, never on the cooperative pool.
        let task = session.dataTask(with: request) { data, response, error in
            if let error {
                outcome.fulfill(.failure(URLSessionTransport.failure(error)))
                return
            }
            guard let http = response as? HTTPURLResponse else {
                outcome.fulfill(.failure(LLMFailure(.invalidResponse, "not an HTTP response")))
                return
            }
            var h: [String: String] = [:]
            for (k, v) in http.allHeaderFields {
                if let k = k as? String, let v = v as? String { h[k.lowercased()] = v }
            }
            outcome.fulfill(.success(HTTPResponse(status: http.statusCode, headers: h, body: [UInt8](data ?? Data()))))
        }
        task.resume()
        let deadline = ContinuousClock.now + .milliseconds(Int64((timeout * 1000).rounded(.up)))
        let result = await withTaskCancellationHandler {
            await outcome.value(before: deadline)
        } onCancel: {
            outcome.fulfill(.failure(LLMFailure(.cancelled, "cancelled")))
        }
        guard let result else {
            if Task.isCancelled { throw LLMFailure(.cancelled, "cancelled") }
            throw LLMFailure(.timeout, "no answer within \(Self.seconds(timeout))")
        }
        return try result.get()
    }

    static func failure(_ error: any Error) -> LLMFailure {
        if let e = error as? URLError {
            switch e.code {
            case .timedOut: return LLMFailure(.timeout, "timed out")
            case .cancelled: return LLMFailure(.cancelled, "cancelled")
            default: return LLMFailure(.transport, "\(describe(e.code)) (URLError \(e.code.rawValue))")
            }
        }
        if error is CancellationError { return LLMFailure(.cancelled, "cancelled") }
        return LLMFailure(.transport, String(describing: error))
    }

    static func describe(_ code: URLError.Code) -> String {
        switch code {
        case .cannotConnectToHost: "cannot connect to the host"
        case .cannotFindHost: "cannot find the host"
        case .networkConnectionLost: "connection lost"
        case .notConnectedToInternet: "not connected"
        case .badServerResponse: "bad server response"
        case .secureConnectionFailed: "TLS handshake failed"
        case .dnsLookupFailed: "DNS lookup failed"
        default: "connection failed"
        }
    }

    static func seconds(_ s: Double) -> String {
        s < 1 ? "\(Int((s * 1000).rounded())) ms" : "\(s) s"
    }
}
