import Foundation
import Synchronization
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
    /// The largest answer read (8 MiB): a chat completion is a few kilobytes; an endpoint
    /// that sends more (a misconfigured proxy, a file server, a runaway stream) would
    /// otherwise be read whole into memory, once per retry.
    public static let defaultMaxResponseBytes = 8 << 20

    private let session: URLSession
    private let receiver: Receiver

    public init(maxResponseBytes: Int = URLSessionTransport.defaultMaxResponseBytes) {
        let c = URLSessionConfiguration.ephemeral
        c.urlCache = nil
        c.httpShouldSetCookies = false
        c.httpMaximumConnectionsPerHost = 32
        c.timeoutIntervalForResource = 3600
        receiver = Receiver(maxBytes: maxResponseBytes)
        session = URLSession(configuration: c, delegate: receiver, delegateQueue: nil)
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
        // The delegate's callbacks run on the session's own queue, never on the cooperative pool.
        let task = session.dataTask(with: request)
        receiver.start(task.taskIdentifier, outcome)
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

    /// Collects each task's answer, up to `maxBytes` of body. Past that, or when the
    /// announced length is already past it, the request fails at once as an invalid
    /// response and what still comes is dropped (the task is abandoned, not cancelled:
    /// see the type's note on `cancel()`), so memory stays bounded.
    final class Receiver: NSObject, URLSessionDataDelegate, @unchecked Sendable {
        struct Pending {
            var outcome: Promise<Result<HTTPResponse, LLMFailure>>
            var body: [UInt8] = []
            var response: HTTPURLResponse?
        }
        let maxBytes: Int
        private let pending = Mutex<[Int: Pending]>([:])

        init(maxBytes: Int) { self.maxBytes = maxBytes }

        func start(_ id: Int, _ outcome: Promise<Result<HTTPResponse, LLMFailure>>) {
            pending.withLock { $0[id] = Pending(outcome: outcome) }
        }

        /// Ends the task's request with `result` and forgets the task.
        private func finish(_ id: Int, _ result: Result<HTTPResponse, LLMFailure>) {
            pending.withLock { $0.removeValue(forKey: id) }?.outcome.fulfill(result)
        }

        private func tooLarge(_ id: Int, announced: Int64?) {
            let what = announced.map { "announced as \($0) bytes" } ?? "longer than that, not read further"
            finish(id, .failure(LLMFailure(.invalidResponse, "the answer is over the limit of \(maxBytes) bytes (\(what))")))
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                        completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
            let id = dataTask.taskIdentifier
            guard let http = response as? HTTPURLResponse else {
                finish(id, .failure(LLMFailure(.invalidResponse, "not an HTTP response")))
                completionHandler(.allow)
                return
            }
            let announced = http.expectedContentLength
            if announced > Int64(maxBytes) {
                tooLarge(id, announced: announced)
                completionHandler(.cancel)  // the session's own way to stop before the body
                return
            }
            pending.withLock { $0[id]?.response = http }
            completionHandler(.allow)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            let id = dataTask.taskIdentifier
            let over: Bool = pending.withLock { p in
                guard p[id] != nil else { return false }
                if p[id]!.body.count + data.count > maxBytes { return true }
                p[id]!.body.append(contentsOf: data)
                return false
            }
            if over { tooLarge(id, announced: nil) }
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
            let id = task.taskIdentifier
            guard let p = pending.withLock({ $0.removeValue(forKey: id) }) else { return }
            if let error {
                p.outcome.fulfill(.failure(URLSessionTransport.failure(error)))
                return
            }
            guard let http = p.response ?? task.response as? HTTPURLResponse else {
                p.outcome.fulfill(.failure(LLMFailure(.invalidResponse, "not an HTTP response")))
                return
            }
            var h: [String: String] = [:]
            for (k, v) in http.allHeaderFields {
                if let k = k as? String, let v = v as? String { h[k.lowercased()] = v }
            }
            p.outcome.fulfill(.success(HTTPResponse(status: http.statusCode, headers: h, body: p.body)))
        }
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
