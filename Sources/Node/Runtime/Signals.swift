import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The write end of the pipe the C signal handler writes to (one handler per process).
nonisolated(unsafe) private var signalPipeWrite: Int32 = -1

/// The process-level handler: writes the signal's number to the pipe (async-signal-safe).
private func agoraSignalHandler(_ sig: Int32) {
    var b = UInt8(truncatingIfNeeded: sig)
    _ = write(signalPipeWrite, &b, 1)
}

/// Graceful shutdown on SIGINT and SIGTERM: the first signal asks the process to stop
/// (finish cycles in flight, flush reports), a second one exits at once (status 130).
///
/// The handler is installed with `sigaction` before `init` returns, so a signal that comes
/// right after is never lost (a `DispatchSource` registers asynchronously: a signal in that
/// window met the `SIG_IGN` set beforehand and was discarded, as a loaded test run showed).
/// It only writes the signal's number to a pipe; a thread of its own reads the pipe and
/// calls `onFirst` outside signal context.
final class SignalHandler: @unchecked Sendable {
    private let readFD: Int32
    private let writeFD: Int32
    private var count = 0
    private let cancelled = Atomic<Bool>(false)

    init(onFirst: @escaping @Sendable (Int32) -> Void) {
        var fds: [Int32] = [-1, -1]
        _ = pipe(&fds)
        readFD = fds[0]
        writeFD = fds[1]
        signalPipeWrite = writeFD
        for sig in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = agoraSignalHandler
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(sig, &action, nil)
        }
        let fd = readFD
        let t = Thread { [self] in
            var b: UInt8 = 0
            while read(fd, &b, 1) == 1 {
                count += 1
                if count == 1 {
                    onFirst(Int32(b))
                } else {
                    let msg = "agora: second signal, exiting now\n"
                    _ = msg.withCString { write(2, $0, strlen($0)) }
                    _exit(130)
                }
            }
            close(fd)
        }
        t.name = "agora-signals"
        t.start()
    }

    /// Restores the default handling; the reader thread ends with the pipe.
    func cancel() {
        guard !cancelled.exchange(true, ordering: .sequentiallyConsistent) else { return }
        for sig in [SIGINT, SIGTERM] { signal(sig, SIG_DFL) }
        if signalPipeWrite == writeFD { signalPipeWrite = -1 }
        close(writeFD)
    }
}
