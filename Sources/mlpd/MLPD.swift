import ArgumentParser
import Foundation

/// `mlpd`: argument parsing and wiring only; the work happens in the library targets.
@main
struct MLPD: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mlpd",
        abstract: "Data-parallel backpropagation trainer for multilayer perceptrons.",
        version: "0.1.0",
        subcommands: [Train.self, Eval.self, Predict.self, GradCheck.self, TopologyCommand.self, Bench.self,
                      Serve.self, Submit.self, Jobs.self, Status.self, Watch.self, Cancel.self])
}

/// Runs `body`; any error becomes `mlpd: error: …` on stderr and exit status 1.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data("mlpd: error: \(error)\n".utf8))
        throw ExitCode(1)
    }
}
