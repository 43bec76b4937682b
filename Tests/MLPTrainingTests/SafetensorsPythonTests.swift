import Foundation
import MLPTraining
import Testing

/// An independent check of the format: Python's json and NumPy read a file this module wrote.
@Suite struct SafetensorsPythonTests {
    /// Whether `python3 -c "import numpy"` succeeds here.
    static let hasNumPy: Bool = (try? runPython(["-c", "import numpy"]).status) == 0

    static let script = #"""
        import collections, json, struct, sys
        import numpy as np

        path, expected = sys.argv[1], json.loads(sys.argv[2])
        data = open(path, "rb").read()
        (n,) = struct.unpack("<Q", data[:8])
        assert n % 8 == 0, f"header length {n} is not a multiple of 8"
        text = data[8:8 + n].decode("utf-8")
        assert text[text.rindex("}") + 1:].strip(" ") == "", "padding after the JSON is not spaces"
        header = json.loads(text, object_pairs_hook=collections.OrderedDict)
        keys = list(header)
        assert keys[0] == "__metadata__", keys
        assert header["__metadata__"] == expected["metadata"], header["__metadata__"]
        assert keys[1:] == [t["name"] for t in expected["tensors"]], keys
        buffer = data[8 + n:]
        position = 0
        for t in expected["tensors"]:
            info = header[t["name"]]
            assert info["dtype"] == "F32", info
            begin, end = info["data_offsets"]
            assert begin == position, (t["name"], begin, position)
            array = np.frombuffer(buffer[begin:end], dtype="<f4").reshape(info["shape"])
            assert list(array.shape) == t["shape"], (array.shape, t["shape"])
            assert array.view("<u4").ravel().tolist() == t["bits"], t["name"]
            position = end
        assert position == len(buffer), "data buffer has bytes no tensor covers"
        print("ok")
        """#

    private struct Expected: Encodable {
        struct Tensor: Encodable {
            var name: String
            var shape: [Int]
            var bits: [UInt32]
        }
        var metadata: [String: String]
        var tensors: [Tensor]
    }

    @Test(.enabled(if: hasNumPy, "needs python3 with numpy"))
    func numpyReadsWhatWeWrite() throws {
        let file = SafetensorsTests.sample
        let expected = Expected(
            metadata: file.metadata,
            tensors: file.tensors.map {
                .init(name: $0.name, shape: $0.shape, bits: $0.values.map(\.bitPattern))
            })
        let expectedJSON = String(decoding: try JSONEncoder().encode(expected), as: UTF8.self)
        try withTemporaryDirectory { dir throws in
            let path = dir + "/model.safetensors"
            try file.write(to: path)
            let result = try runPython(["-c", Self.script, path, expectedJSON])
            #expect(result.status == 0, "python3 said: \(result.output)")
            #expect(result.output.hasSuffix("ok\n"), "python3 said: \(result.output)")
        }
    }
}

/// Runs `python3` with `arguments`; returns its exit status and combined output.
private func runPython(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3"] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}
