#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Starts dedicated OS threads for blocking work (network I/O in C libraries), which must
/// never run on Swift's cooperative pool: two blocked tasks would fill it on a 2-core machine.
enum DedicatedThread {
    private final class Box {
        let body: () -> Void
        let name: String
        init(_ name: String, _ body: @escaping () -> Void) {
            self.name = name
            self.body = body
        }
    }

    /// Runs `body` on a new detached thread named `name` (at most 15 bytes are kept).
    static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Box(name, body)).toOpaque()
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        pthread_attr_setdetachstate(&attr, Int32(PTHREAD_CREATE_DETACHED))
        pthread_attr_setstacksize(&attr, 1 << 20)
        #if canImport(Glibc)
        var thread = pthread_t()
        #else
        var thread: pthread_t?
        #endif
        let rc = pthread_create(&thread, &attr, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            nameCurrentThread(box.name)
            box.body()
            return nil
        }, box)
        pthread_attr_destroy(&attr)
        precondition(rc == 0, "pthread_create failed: \(rc)")
    }
}

/// Names the calling thread (shown by `top -H`, `ps -L`, debuggers). Linux keeps 15 bytes.
private func nameCurrentThread(_ name: String) {
    #if canImport(Glibc)
    let fd = open("/proc/thread-self/comm", O_WRONLY)
    guard fd >= 0 else { return }
    var short = String(decoding: name.utf8.prefix(15), as: UTF8.self)
    short.withUTF8 { _ = write(fd, $0.baseAddress, $0.count) }
    close(fd)
    #else
    _ = pthread_setname_np(name)
    #endif
}

/// Parks one thread until another unparks it. An `unpark` that comes first is remembered
/// (a permit), so a wake-up between "decide to park" and "park" is never lost.
final class ThreadParker: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let cond: UnsafeMutablePointer<pthread_cond_t>
    private var permit = false

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        cond = .allocate(capacity: 1)
        cond.initialize(to: pthread_cond_t())
        pthread_cond_init(cond, nil)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        cond.deallocate()
        mutex.deallocate()
    }

    /// Waits until unparked (or returns at once if a permit is pending), consuming the permit.
    func park() {
        pthread_mutex_lock(mutex)
        while !permit { pthread_cond_wait(cond, mutex) }
        permit = false
        pthread_mutex_unlock(mutex)
    }

    func unpark() {
        pthread_mutex_lock(mutex)
        permit = true
        pthread_cond_signal(cond)
        pthread_mutex_unlock(mutex)
    }
}

/// A self-pipe: lets other threads wake a thread that sleeps in `poll()` on a socket.
final class WakePipe: @unchecked Sendable {
    let readFD: Int32
    private let writeFD: Int32

    init() {
        var fds: [Int32] = [-1, -1]
        let rc = fds.withUnsafeMutableBufferPointer { pipe($0.baseAddress!) }
        precondition(rc == 0, "pipe() failed: errno \(errno)")
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        readFD = fds[0]
        writeFD = fds[1]
    }

    deinit {
        close(readFD)
        close(writeFD)
    }

    /// Wakes the sleeper (a full pipe already means "wake up").
    func signal() {
        var b: UInt8 = 1
        while write(writeFD, &b, 1) < 0 && errno == EINTR {}
    }

    /// Empties the pipe after a wake-up.
    func drain() {
        var buf = [UInt8](repeating: 0, count: 64)
        while true {
            let n = buf.withUnsafeMutableBytes { read(readFD, $0.baseAddress, 64) }
            if n <= 0 && !(n < 0 && errno == EINTR) { return }
        }
    }

    /// Sleeps until the pipe is signalled or `timeoutNanos` pass; returns true if signalled.
    @discardableResult
    func wait(timeoutNanos: UInt64) -> Bool {
        var p = pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)
        let ms = Int32(min(UInt64(Int32.max), (timeoutNanos + 999_999) / 1_000_000))
        let rc = poll(&p, 1, ms)
        if rc > 0 {
            drain()
            return true
        }
        return false
    }
}
