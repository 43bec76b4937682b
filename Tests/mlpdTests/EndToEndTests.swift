import Foundation
import MLPTraining
import Testing

/// The bundled configs train to the accuracy the issue asks for, the run directory holds every
/// file, and eval / predict / gradcheck work on the result.
@Suite(.serialized) struct EndToEndTests {
    func summary(_ dir: TemporaryDirectory, _ run: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: dir.path("\(run)/summary.json")))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func digitsReachesTheReferenceAccuracy() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let result = try CLI.run(["train", "configs/digits.yaml", "--set", "output.dir=\(dir.path("digits"))"])
        #expect(result.status == 0, "\(result.stderr)")
        for name in ["model.safetensors", "metrics.csv", "summary.json", "config.yaml", "curves.svg"] {
            #expect(dir.exists("digits/\(name)"), "\(name)")
        }
        let final = try #require(try summary(dir, "digits")["final"] as? [String: Any])
        let accuracy = try #require(final["test_accuracy"] as? Double)
        print("digits test accuracy \(accuracy)")
        #expect(accuracy >= 0.95)
        let metrics = try String(contentsOfFile: dir.path("digits/metrics.csv"), encoding: .utf8)
        #expect(metrics.split(separator: "\n").count == 51)   // header + 50 epochs
        #expect(metrics.hasPrefix("epoch,steps,learning_rate,train_cost,train_accuracy,test_cost,test_accuracy,examples_per_second,seconds"))

        // The resolved config reproduces the run: same model bytes.
        let again = try CLI.run(["train", dir.path("digits/config.yaml"), "--set", "output.dir=\(dir.path("again"))"])
        #expect(again.status == 0, "\(again.stderr)")
        let first = try Data(contentsOf: URL(fileURLWithPath: dir.path("digits/model.safetensors")))
        let second = try Data(contentsOf: URL(fileURLWithPath: dir.path("again/model.safetensors")))
        #expect(first == second)

        // eval on the same data reports the same test accuracy.
        let eval = try CLI.run(["eval", "configs/digits.yaml", "--model", dir.path("digits/model.safetensors"), "--json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let evaluated = try #require(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        let test = try #require(evaluated["test"] as? [String: Any])
        #expect(test["accuracy"] as? Double == accuracy)
        #expect(test["examples"] as? Int == 359)
    }

    @Test func mnistFromIDXReachesTheReferenceAccuracy() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let result = try CLI.run(["train", "configs/mnist.yaml", "--set", "output.dir=\(dir.path("mnist"))"])
        #expect(result.status == 0, "\(result.stderr)")
        let final = try #require(try summary(dir, "mnist")["final"] as? [String: Any])
        let accuracy = try #require(final["test_accuracy"] as? Double)
        print("mnist test accuracy \(accuracy)")
        #expect(accuracy >= 0.92)
        #expect(try summary(dir, "mnist")["test_examples"] as? Int == 1000)

        // predict on the raw test images: the CSV's predictions match eval's accuracy.
        let predict = try CLI.run(["predict", "--model", dir.path("mnist/model.safetensors"),
                                   "data/mnist5k/t10k-images-idx3-ubyte.gz", "--labels", "data/mnist5k/t10k-labels-idx1-ubyte.gz",
                                   "--output", dir.path("predictions.csv")])
        #expect(predict.status == 0, "\(predict.stderr)")
        let lines = try String(contentsOfFile: dir.path("predictions.csv"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1001)
        #expect(lines[0] == "example,predicted,label," + (0..<10).map { "output_\($0)" }.joined(separator: ","))
        let correct = lines.dropFirst().filter { line in
            let cells = line.split(separator: ",")
            return cells[1] == cells[2]
        }.count
        #expect(Double(correct) / 1000 == accuracy)
        #expect(predict.stderr.contains(String(format: "accuracy %.4f", accuracy)))
    }

    @Test func predictWithoutLabels() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("d.csv", BadInputTests.goodRows)
        try dir.write("job.yaml", smallConfig(data: "d.csv"))
        #expect(try CLI.run(["train", "job.yaml"], in: dir.url).status == 0)
        try dir.write("x.csv", "0.1,0.2,0.3,0.4\n0.5,0.6,0.7,0.8\n")
        let result = try CLI.run(["predict", "--model", "run/model.safetensors", "x.csv"], in: dir.url)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0] == "example,predicted,output_0,output_1,output_2")
    }

    @Test func gradcheckCommand() throws {
        let result = try CLI.run(["gradcheck", "configs/digits.yaml", "--examples", "3", "--parameters", "300"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("gradient check passed"))
        #expect(result.stdout.contains("300 of 4810 parameters checked"))
        // A tolerance no finite difference can meet makes it fail, with exit status 1.
        let strict = try CLI.run(["gradcheck", "configs/digits.yaml", "--examples", "3", "--parameters", "300", "--tolerance", "1e-30"])
        #expect(strict.status == 1)
        #expect(strict.stderr.contains("gradient check failed"))
    }
}
