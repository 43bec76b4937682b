import Foundation
import MLPTraining

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The daemon's durable state: one directory per job under `<state_dir>/jobs/<id>/`, holding
/// the job as submitted (`job.yaml`), its record (`job.json`), its log (`job.log`), the run
/// files of `mlpd train` and `checkpoints/`.
///
/// Why files and not a database: `AtomicFile` (temporary file, fsync, rename, fsync of the
/// folder) already gives crash-consistent replacement, so there is no extra dependency; each job
/// is consistent on its own (a crash can only lose the change being written, never mix two
/// jobs), and an operator can inspect or archive a job with `cat` and `tar`.
///
/// `job.json` is the commit point of a submission: it is written last, after the folder (made
/// durable by an fsync of `jobs/`) and `job.yaml`. A folder without it is a submission that was
/// never acknowledged, and `loadAll()` removes it. The state directory is locked (`flock` on
/// `<state_dir>/lock`) so two daemons cannot share it.
public final class JobStore: Sendable {
    /// The state directory.
    public let stateDirectory: String
    /// `<state_dir>/jobs`.
    public let jobsDirectory: String
    private let lockDescriptor: Int32

    /// The names of the record, the job as submitted and the log in a job folder.
    public static let recordFile = "job.json", jobFile = "job.yaml", logFile = "job.log"

    /// Opens (creating if needed) and locks the state directory.
    ///
    /// - Throws: `DaemonError` when a folder cannot be made or another process holds the lock.
    public init(stateDirectory: String) throws {
        self.stateDirectory = stateDirectory
        jobsDirectory = (stateDirectory as NSString).appendingPathComponent("jobs")
        do {
            try AtomicFile.createDirectory(jobsDirectory)
        } catch {
            throw DaemonError(.internal, "cannot create the state directory: \(error)")
        }
        let lockPath = (stateDirectory as NSString).appendingPathComponent("lock")
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw DaemonError(.internal, "\(lockPath): cannot open the state lock: \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw DaemonError(.internal, "\(stateDirectory): another mlpd serve is using this state directory")
        }
        lockDescriptor = fd
    }

    deinit { close(lockDescriptor) }

    /// The folder of job `id`.
    public func directory(of id: String) -> String { (jobsDirectory as NSString).appendingPathComponent(id) }

    func path(_ id: String, _ name: String) -> String { (directory(of: id) as NSString).appendingPathComponent(name) }

    /// Durably creates a new job: its folder, `job.yaml` with `yaml`, then `job.json`. When this
    /// returns, the job survives a crash or power cut; when it throws, no `job.json` exists.
    public func create(_ record: JobRecord, yaml: String) throws {
        let folder = directory(of: record.id)
        guard mkdir(folder, 0o777) == 0 else {
            throw DaemonError(.internal, "\(folder): cannot create the job folder: \(String(cString: strerror(errno)))")
        }
        do {
            try Self.syncDirectory(jobsDirectory)
            try AtomicFile.write(yaml, to: path(record.id, Self.jobFile))
            try save(record)
        } catch {
            try? FileManager.default.removeItem(atPath: folder)
            throw error
        }
    }

    /// Atomically replaces the job's `job.json` with `record`.
    public func save(_ record: JobRecord) throws {
        do {
            try AtomicFile.write(Array(try JobRecord.encoder().encode(record)) + [10], to: path(record.id, Self.recordFile))
        } catch {
            throw DaemonError(.internal, "cannot record job \(record.id): \(error)")
        }
    }

    /// The job as submitted.
    public func yaml(of id: String) throws -> String {
        let file = path(id, Self.jobFile)
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
            throw DaemonError(.internal, "\(file): cannot read the job")
        }
        return text
    }

    /// Appends one line to the job's `job.log` (not synced: it is a log, not state).
    public func appendLog(_ id: String, _ line: String) {
        let fd = open(path(id, Self.logFile), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o666)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let stamp = ISO8601DateFormatter.string(from: Date(), timeZone: .gmt, formatOptions: [.withInternetDateTime])
        let bytes = Array("\(stamp) \(line)\n".utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// All recorded jobs, sorted by identifier, and what was found wrong on the way: folders
    /// without `job.json` (unacknowledged submissions) are removed and reported; unreadable
    /// records are reported and left alone for an operator to look at.
    public func loadAll() -> (records: [JobRecord], problems: [String]) {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: jobsDirectory)) ?? []).sorted()
        var records: [JobRecord] = []
        var problems: [String] = []
        let decoder = JobRecord.decoder()
        for name in names where !name.hasPrefix(".") {
            let file = path(name, Self.recordFile)
            guard let data = FileManager.default.contents(atPath: file) else {
                try? FileManager.default.removeItem(atPath: directory(of: name))
                problems.append("\(directory(of: name)): removed an unfinished submission (no \(Self.recordFile))")
                continue
            }
            do {
                let record = try decoder.decode(JobRecord.self, from: data)
                guard record.id == name else {
                    problems.append("\(file): records job \(record.id), not \(name); skipped")
                    continue
                }
                records.append(record)
            } catch {
                problems.append("\(file): unreadable job record, skipped: \(error)")
            }
        }
        return (records, problems)
    }

    /// Every name in `jobs/`, finished or not (for seeding the identifier generator).
    public func allNames() -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: jobsDirectory)) ?? []
    }

    /// `fsync`s a folder so that an entry made in it survives a crash.
    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw DaemonError(.internal, "\(path): cannot open to sync: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 || errno == EINVAL else {
            throw DaemonError(.internal, "\(path): fsync failed: \(String(cString: strerror(errno)))")
        }
    }
}
