#if MPI
import Foundation
import Testing

/// `mpirun -np R mlpd train` (a build with the MPI trait): the ranks train one model, with the
/// same bytes as one process; only rank 0 writes; a dead rank ends the job; checkpoints resume
/// with any rank count.
@Suite(.serialized) struct MPITests {
    static let mnist = ["train", "configs/mnist.yaml"]

    func model(_ dir: TemporaryDirectory, _ run: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: dir.path("\(run)/model.safetensors")))
    }

    @Test func ranksWriteTheSameBytesAsThreads() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let epochs = ["--set", "train.epochs=2"]
        let threads = try CLI.run(Self.mnist + epochs + ["--threads", "2", "--set", "output.dir=\(dir.path("t2"))"])
        #expect(threads.status == 0, "\(threads.stderr)")
        for ranks in [2, 4] {
            let result = try CLI.mpirun(ranks: ranks, Self.mnist + epochs + ["--threads", "1", "--set", "output.dir=\(dir.path("r\(ranks)"))"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.components(separatedBy: "mlpd: training").count == 2, "only rank 0 reports")
            #expect(result.stdout.contains("1 thread × \(ranks) ranks"))
            #expect(try model(dir, "r\(ranks)") == model(dir, "t2"), "\(ranks) ranks")
        }
        // Three ranks over 2 threads each, with the batch not a multiple of the ranks' blocks.
        let uneven = try CLI.mpirun(ranks: 3, Self.mnist + epochs + ["--threads", "2", "--set", "train.batch_size=100",
                                                                     "--set", "output.dir=\(dir.path("r3"))"])
        let single = try CLI.run(Self.mnist + epochs + ["--threads", "1", "--set", "train.batch_size=100",
                                                        "--set", "output.dir=\(dir.path("t1"))"])
        #expect(uneven.status == 0 && single.status == 0, "\(uneven.stderr)")
        #expect(try model(dir, "r3") == model(dir, "t1"))
        // allreduce trains too (its last bits may differ; here it must still learn).
        let allreduce = try CLI.mpirun(ranks: 2, Self.mnist + epochs + ["--threads", "1", "--set", "parallel.rank_reduction=allreduce",
                                                                          "--set", "output.dir=\(dir.path("a2"))"])
        #expect(allreduce.status == 0, "\(allreduce.stderr)")
        #expect(allreduce.stdout.contains("allreduce reduction") && allreduce.stdout.contains("test accuracy"))
    }

    @Test func checkpointsResumeWithAnotherRankCount() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let args = Self.mnist + ["--set", "train.epochs=2", "--threads", "1", "--checkpoint-every", "100"]
        let whole = try CLI.mpirun(ranks: 2, args + ["--set", "output.dir=\(dir.path("a"))"])
        #expect(whole.status == 0, "\(whole.stderr)")
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: dir.path("a/checkpoints")).sorted()
        #expect(checkpoints == ["ckpt-0000000100.safetensors", "ckpt-0000000200.safetensors"])
        try FileManager.default.createDirectory(atPath: dir.path("b"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dir.path("a/checkpoints"), toPath: dir.path("b/checkpoints"))
        let resumed = try CLI.mpirun(ranks: 4, args + ["--resume", "--set", "output.dir=\(dir.path("b"))"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("resuming from") && resumed.stdout.contains("(step 200)"))
        #expect(try model(dir, "b") == model(dir, "a"))
    }

    @Test func aKilledRankEndsTheJobAndItsCheckpointResumes() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let args = Self.mnist + ["--set", "train.epochs=12", "--threads", "1", "--checkpoint-every", "50",
                                 "--set", "output.dir=\(dir.path("k"))"]
        let mpirun = Process()
        mpirun.executableURL = URL(fileURLWithPath: "/usr/bin/mpirun")
        mpirun.arguments = ["--allow-run-as-root", "--oversubscribe", "-np", "2", CLI.binary.path] + args
        mpirun.currentDirectoryURL = CLI.repositoryRoot
        let err = Pipe()
        mpirun.standardError = err
        mpirun.standardOutput = FileHandle.nullDevice
        try mpirun.run()
        // Once a checkpoint exists, kill rank 1 (a child of mpirun).
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && ((try? FileManager.default.contentsOfDirectory(atPath: dir.path("k/checkpoints")))?.isEmpty ?? true) {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let children = try CLI.run(["-P", "\(mpirun.processIdentifier)"], executable: URL(fileURLWithPath: "/usr/bin/pgrep"))
            .stdout.split(separator: "\n").compactMap { Int32($0) }
        try #require(children.count == 2, "mpirun's ranks: \(children)")
        #expect(mpirun.isRunning, "the job must still be running when a rank is killed")
        kill(children.max()!, SIGKILL)
        let killed = Date()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        mpirun.waitUntilExit()
        #expect(Date().timeIntervalSince(killed) < 10, "all ranks end within seconds")
        #expect(mpirun.terminationStatus != 0)
        #expect(String(decoding: errData, as: UTF8.self).contains("exited on signal 9"))
        // No rank is left behind, and the newest checkpoint resumes to the uninterrupted result.
        func alive(_ pid: Int32) -> Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
            return !stat.contains(") Z ")   // a zombie has ended (PID 1 here may not reap it)
        }
        #expect(!children.contains(where: alive))
        let resumed = try CLI.mpirun(ranks: 2, args + ["--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("resuming from"))
        let reference = try CLI.run(Self.mnist + ["--set", "train.epochs=12", "--set", "output.dir=\(dir.path("ref"))"])
        #expect(reference.status == 0)
        #expect(try model(dir, "k") == model(dir, "ref"))
    }

    @Test func topologyShowsEveryRanksBindingAndWarnsWhenTheyShareCPUs() throws {
        let result = try CLI.mpirun(ranks: 4, ["topology", "--threads", "1"], limit: 60)
        #expect(result.status == 0, "\(result.stderr)")
        let rows = result.stdout.split(separator: "\n").filter { $0.hasPrefix("  ") && $0.split(separator: " ").first.flatMap { Int($0) } != nil }
        #expect(rows.count == 4, "\(result.stdout)")
        #expect(result.stdout.contains("MPI: 4 ranks"))
        #expect(result.stdout.contains("warning: ranks 0, 1, 2, 3 on"), "4 ranks on 2 cores share them")
    }

    @Test func benchMeasuresScalingOverRanks() throws {
        let result = try CLI.mpirun(ranks: 2, ["bench", "configs/bench/small.yaml", "--ranks", "1,2", "--threads", "1",
                                               "--steps", "3", "--warmup", "1", "--repeats", "1", "--csv"], limit: 120)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        try #require(lines.count == 3, "a header and one line per rank count, from rank 0 only: \(result.stdout)")
        let header = lines[0].split(separator: ",").map(String.init)
        func field(_ line: Int, _ name: String) throws -> String {
            String(lines[line].split(separator: ",", omittingEmptySubsequences: false)[try #require(header.firstIndex(of: name))])
        }
        #expect(try field(1, "ranks") == "1" && field(2, "ranks") == "2")
        #expect(try Double(field(1, "communication_share")) == 0)
        #expect(try Double(field(2, "communication_share"))! > 0, "two ranks spend time in MPI")
        #expect(try Double(field(2, "communication_ms_per_step"))! > 0)
        let tooMany = try CLI.run(["bench", "configs/bench/small.yaml", "--ranks", "1,2", "--threads", "1", "--steps", "1"])
        #expect(tooMany.status == 1 && tooMany.stderr.contains("--ranks 2: this job has 1 rank"))
    }

    @Test func anErrorOnTheRanksEndsTheJob() throws {
        let result = try CLI.mpirun(ranks: 2, ["train", "configs/mnist.yaml", "--set", "train.epochs=zero"], limit: 60)
        #expect(result.status != 0 && result.status != 124, "fails without hanging")
        #expect(result.stderr.contains("train.epochs"))
    }
}
#endif
