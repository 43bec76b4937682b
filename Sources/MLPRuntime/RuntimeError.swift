/// A fault in the runtime layer: a topology that cannot be loaded, parallel settings that do not
/// fit the machine, or a binding the operating system refused.
///
/// `description` is the line to show a user and names the input at fault, e.g.
/// `--synthetic 'package:2 nuna:2': hwloc cannot parse this synthetic description` or
/// `parallel.cpus: CPU 99 does not exist on this machine (PUs 0-63)`.
/// Binding and memory-placement faults are reported as errors (never crashes) so that a caller
/// in a restricted container can turn them into one warning and run unbound.
public struct RuntimeError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What kind of fault this is, so callers and tests need not match message text.
    public enum Code: String, Sendable, Equatable, Codable, CaseIterable {
        /// A synthetic description or XML file that hwloc cannot read.
        case invalidTopology
        /// hwloc could not discover the machine it runs on.
        case topologyUnavailable
        /// `parallel.threads` or `parallel.fan_in` out of range, or settings that contradict
        /// each other.
        case invalidSettings
        /// A CPU (OS PU index) that does not exist, is not allowed, or is listed twice.
        case invalidCPU
        /// The process has no CPU it may run on (an empty allowed set).
        case noAllowedCPUs
        /// The loaded topology is synthetic or XML (`HWLOC_SYNTHETIC`, `HWLOC_XMLFILE`), so
        /// binding would silently do nothing; it is skipped and reported instead.
        case notThisSystem
        /// The operating system refused to bind a thread (a restricted container, seccomp).
        case bindingRefused
        /// hwloc could not write a topology as XML.
        case exportFailed
    }

    /// What kind of fault this is.
    public var code: Code
    /// What is wrong, naming the input at fault (a flag, a file, a key path, a CPU).
    public var message: String

    /// Makes an error from its kind and its message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
