/// A bus operation that failed, with a message a person can act on.
public struct BusError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// The bus was shut down; nothing more is accepted.
        case closed
        /// A topic or pattern is not valid.
        case invalidTopic
        /// The transport is not connected and the configuration says to fail rather than wait.
        case disconnected
        /// The server refused us (e.g. wrong password).
        case refused
        /// The publishing task was cancelled while waiting for room.
        case cancelled
        /// The message is larger than the configured limit.
        case tooLarge
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    public static let closed = BusError(.closed, "the bus is shut down")
}
