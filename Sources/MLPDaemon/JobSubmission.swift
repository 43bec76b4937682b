import Foundation
import MLPConfig

/// Turns a submitted job file into the configuration the daemon runs, with the checks of
/// `mlpd train` plus the daemon's own:
///
/// - the YAML is parsed by `JobConfig.parse` with the client's file name, so errors read exactly
///   as `mlpd train FILE` prints them (`file:line:col: key: message`);
/// - `output.dir` is set to the job's folder, whatever the file says (it may also leave it out);
/// - relative data and weight paths resolve against the client's working directory, as they
///   would for `mlpd train` run there;
/// - every file the job reads (`data.train.path`, `data.train.labels`, `data.test.path`,
///   `data.test.labels`, `model.init.from`) must resolve inside an allowed data root; the
///   configuration then names the resolved paths, so the run reads what was checked.
///
/// The same function runs at submission and again when the job starts or resumes (the roots may
/// have changed by a reload); given the same inputs it yields the same configuration, so the
/// checkpoint's configuration hash matches on resume.
public enum JobSubmission {
    /// The runnable configuration of a job.
    ///
    /// - Throws: `ConfigError` for a bad job file, `DaemonError.badRequest` for paths.
    public static func configuration(
        yaml: String, file: String, workingDirectory: String?, jobDirectory: String, roots: DataRoots
    ) throws -> JobConfig {
        var config = try JobConfig.parse(
            yaml: yaml, file: file, overrides: [DaemonConfig.outputDirectoryOverride(jobDirectory)])
        func resolve(_ path: String, _ key: String) throws -> String {
            let absolute: String
            if path.hasPrefix("/") {
                absolute = path
            } else if let workingDirectory {
                absolute = (workingDirectory as NSString).appendingPathComponent(path)
            } else {
                throw DaemonError(
                    .badRequest,
                    "\(file): \(key): '\(path)' is relative, and the request gave no working directory (cwd) to resolve it")
            }
            do {
                return try roots.check(absolute, key: key)
            } catch let error as DaemonError {
                throw DaemonError(error.code, "\(file): \(error.message)")
            }
        }
        config.data.train.path = try resolve(config.data.train.path, "data.train.path")
        if let labels = config.data.train.labels { config.data.train.labels = try resolve(labels, "data.train.labels") }
        if var test = config.data.test {
            test.path = try resolve(test.path, "data.test.path")
            if let labels = test.labels { test.labels = try resolve(labels, "data.test.labels") }
            config.data.test = test
        }
        if case .from(let path) = config.model.initialization {
            config.model.initialization = .from(path: try resolve(path, "model.init.from"))
        }
        return config
    }
}
