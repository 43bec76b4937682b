import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The daemon's side of systemd's notification protocol (`sd_notify(3)`), written out rather
/// than linked: each message is one datagram of `KEY=VALUE` lines sent to the AF_UNIX socket
/// named by `$NOTIFY_SOCKET` (a leading `@` names the abstract namespace). Without
/// `$NOTIFY_SOCKET` every call does nothing, so the daemon runs the same outside systemd.
///
/// The watchdog is enabled when `$WATCHDOG_USEC` is set and `$WATCHDOG_PID` is unset or this
/// process; `watchdogPing()` then sends `WATCHDOG=1` at most once per half interval.
public final class SystemdNotifier: Sendable {
    /// The socket address as given in `$NOTIFY_SOCKET`, if any.
    public let socketPath: String?
    /// Half of `$WATCHDOG_USEC`: how often the watchdog wants a ping; nil when it is off.
    public let watchdogPingInterval: Duration?
    private let lastPing = Mutex<ContinuousClock.Instant?>(nil)

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from `environment`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        socketPath = path
        var interval: Duration?
        if path != nil, let usec = environment["WATCHDOG_USEC"].flatMap(UInt64.init), usec > 0 {
            let pid = environment["WATCHDOG_PID"].flatMap(Int32.init)
            if pid == nil || pid == getpid() { interval = .microseconds(Int64(usec / 2)) }
        }
        watchdogPingInterval = interval
    }

    /// Sends `READY=1` with a status line.
    public func ready(status: String) { send("READY=1\nSTATUS=\(status)") }
    /// Sends `RELOADING=1` (followed by `ready(status:)` once the new configuration is in force).
    public func reloading() { send("RELOADING=1\nSTATUS=reloading the configuration") }
    /// Sends `STOPPING=1`.
    public func stopping() { send("STOPPING=1\nSTATUS=stopping") }
    /// Sends a `STATUS=` line (shown by `systemctl status`).
    public func status(_ text: String) { send("STATUS=\(text)") }

    /// Sends `WATCHDOG=1` if the watchdog is on and half its interval has passed since the last
    /// ping. Call it only where the daemon makes progress (after a training step, from the idle
    /// loop), so that a hung step stops the pings and systemd restarts the service.
    public func watchdogPing() {
        guard let interval = watchdogPingInterval else { return }
        let now = ContinuousClock.now
        let due = lastPing.withLock { last -> Bool in
            if let last, now - last < interval { return false }
            last = now
            return true
        }
        if due { send("WATCHDOG=1") }
    }

    /// Sends one notification datagram; failures are ignored, as `sd_notify` callers do (the
    /// service manager may be gone while we stop).
    public func send(_ message: String) {
        guard var path = socketPath else { return }
        let abstract = path.hasPrefix("@")
        if abstract { path.removeFirst() }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        // An abstract name starts with a NUL byte and is not NUL-terminated; a path ends with one.
        // Either way the address is one byte longer than the name.
        let offset = abstract ? 1 : 0
        guard pathBytes.count + 1 <= capacity else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.initializeMemory(as: UInt8.self, repeating: 0)
            for (i, byte) in pathBytes.enumerated() { raw[i + offset] = byte }
        }
        let length = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + pathBytes.count + 1
        #if canImport(Glibc)
            let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
            let fd = socket(AF_UNIX, SOCK_DGRAM, 0)
        #endif
        guard fd >= 0 else { return }
        defer { close(fd) }
        let bytes = Array(message.utf8)
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), sa, socklen_t(length)) }
            }
        }
    }
}
