import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Graceful shutdown on SIGINT and SIGTERM: the first signal asks the process to stop
/// (finish cycles in flight, flush reports), a second one exits at once (status 130).
final class SignalHandler: @unchecked Sendable {
    private var sources: [any DispatchSourceSignal] = []
    private var count = 0
    private let queue = DispatchQueue(label: "agora.signals")

    init(onFirst: @escaping @Sendable (Int32) -> Void) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            s.setEventHandler { [unowned self] in
                self.count += 1
                if self.count == 1 {
                    onFirst(sig)
                } else {
                    let msg = "agora: second signal, exiting now\n"
                    _ = msg.withCString { write(2, $0, strlen($0)) }
                    _exit(130)
                }
            }
            s.resume()
            sources.append(s)
        }
    }

    func cancel() {
        for s in sources { s.cancel() }
        for sig in [SIGINT, SIGTERM] { signal(sig, SIG_DFL) }
    }
}
