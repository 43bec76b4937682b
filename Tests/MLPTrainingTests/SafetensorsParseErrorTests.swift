import MLPTraining
import Testing

/// One malformed file and a fragment its error message must contain.
struct ParseErrorCase: Sendable, CustomTestStringConvertible {
    var name: String
    var bytes: [UInt8]
    var fragment: String

    var testDescription: String { name }

    init(_ name: String, _ bytes: [UInt8], _ fragment: String) {
        self.name = name
        self.bytes = bytes
        self.fragment = fragment
    }

    init(_ name: String, header: String, dataSize: Int = 0, _ fragment: String) {
        self.init(
            name, safetensorsBytes(header: header, data: [UInt8](repeating: 0, count: dataSize)),
            fragment)
    }
}

/// A tensor entry in header JSON.
private func entry(_ name: String, _ dtype: String = "F32", shape: String, offsets: String)
    -> String
{
    #""\#(name)":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":\#(offsets)}"#
}

let parseErrorCases: [ParseErrorCase] = [
    ParseErrorCase(
        "shorter than the length prefix", [1, 2, 3], "too short for the 8-byte header length"),
    ParseErrorCase(
        "header length beyond the file",
        safetensorsBytes(header: "{}", data: [0, 0], length: 1000),
        "header length 1000 goes beyond the end of the file"),
    ParseErrorCase(
        "header length near UInt64.max", safetensorsBytes(header: "{}", data: [], length: .max),
        "goes beyond the end of the file"),
    ParseErrorCase("truncated JSON", header: #"{"a":"#, "invalid JSON"),
    ParseErrorCase("text after the JSON value", header: "{} x", "unexpected text after the value"),
    ParseErrorCase("empty header", header: "", "invalid JSON"),
    ParseErrorCase("NUL padding", header: "{}\0\0", "invalid JSON"),
    ParseErrorCase(
        "not UTF-8", safetensorsBytes(header: [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x7D], data: []),
        "not valid UTF-8"),
    ParseErrorCase("unpaired surrogate", header: #"{"\ud800":{}}"#, "unpaired surrogate"),
    ParseErrorCase(
        "nesting too deep", header: #"{"__metadata__":"# + String(repeating: "[", count: 200),
        "nesting deeper"),
    ParseErrorCase("header is an array", header: "[1]", "header is an array, not a JSON object"),
    ParseErrorCase(
        "duplicate tensor",
        header: "{" + entry("a", shape: "[1]", offsets: "[0,4]") + ","
            + entry("a", shape: "[1]", offsets: "[4,8]") + "}",
        dataSize: 8, #"duplicate key "a""#),
    ParseErrorCase(
        "unknown dtype", header: "{" + entry("a", "Q7", shape: "[1]", offsets: "[0,4]") + "}",
        dataSize: 4,
        #"tensor "a": unsupported dtype "Q7""#),
    ParseErrorCase(
        "unsupported integer dtype",
        header: "{" + entry("a", "I32", shape: "[1]", offsets: "[0,4]") + "}",
        dataSize: 4, #"unsupported dtype "I32""#),
    ParseErrorCase(
        "shape larger than span", header: "{" + entry("w", shape: "[3]", offsets: "[0,8]") + "}",
        dataSize: 8,
        #"tensor "w": shape [3] of F32 does not fit data_offsets [0, 8] (8 bytes)"#),
    ParseErrorCase(
        "span sized for another dtype",
        header: "{" + entry("w", "F64", shape: "[2]", offsets: "[0,8]") + "}",
        dataSize: 8, "shape [2] of F64 does not fit"),
    ParseErrorCase(
        "shape product overflows",
        header: "{" + entry("w", shape: "[4611686018427387904,4]", offsets: "[0,4]") + "}",
        dataSize: 4,
        "does not fit data_offsets"),
    ParseErrorCase(
        "negative dimension", header: "{" + entry("w", shape: "[-1]", offsets: "[0,4]") + "}",
        dataSize: 4,
        "shape is not a list of non-negative integers"),
    ParseErrorCase(
        "fractional dimension", header: "{" + entry("w", shape: "[1.0]", offsets: "[0,4]") + "}",
        dataSize: 4,
        "shape is not a list of non-negative integers"),
    ParseErrorCase(
        "exponent dimension", header: "{" + entry("w", shape: "[1e0]", offsets: "[0,4]") + "}",
        dataSize: 4,
        "shape is not a list of non-negative integers"),
    ParseErrorCase(
        "offset end beyond buffer", header: "{" + entry("w", shape: "[4]", offsets: "[0,16]") + "}",
        dataSize: 8,
        "data_offsets [0, 16] out of range for a data buffer of 8 bytes"),
    ParseErrorCase(
        "offsets reversed", header: "{" + entry("w", shape: "[0]", offsets: "[8,0]") + "}",
        dataSize: 8,
        "data_offsets [8, 0] out of range"),
    ParseErrorCase(
        "offset too large for Int",
        header: "{" + entry("w", shape: "[1]", offsets: "[0,99999999999999999999]") + "}",
        dataSize: 4,
        "data_offsets missing or not two non-negative integers"),
    ParseErrorCase(
        "three offsets", header: "{" + entry("w", shape: "[1]", offsets: "[0,4,8]") + "}",
        dataSize: 4,
        "data_offsets missing or not two non-negative integers"),
    ParseErrorCase(
        "overlapping tensors",
        header: "{" + entry("a", shape: "[2]", offsets: "[0,8]") + ","
            + entry("b", shape: "[2]", offsets: "[4,12]") + "}",
        dataSize: 12, #"tensor "b": data_offsets [4, 12] overlap tensor "a""#),
    ParseErrorCase(
        "gap before the first tensor",
        header: "{" + entry("a", shape: "[1]", offsets: "[4,8]") + "}", dataSize: 8,
        "bytes 0..<4 of the data buffer belong to no tensor"),
    ParseErrorCase(
        "bytes after the last tensor",
        header: "{" + entry("a", shape: "[1]", offsets: "[0,4]") + "}", dataSize: 12,
        "bytes 4..<12 of the data buffer belong to no tensor"),
    ParseErrorCase(
        "data without tensors", header: "{}", dataSize: 4,
        "bytes 0..<4 of the data buffer belong to no tensor"),
    ParseErrorCase(
        "metadata value not a string", header: #"{"__metadata__":{"epochs":"3","lr":0.1}}"#,
        #"__metadata__ value for "lr" is a number, not a string"#),
    ParseErrorCase(
        "metadata not an object", header: #"{"__metadata__":["a"]}"#,
        "__metadata__ is an array, not an object"),
    ParseErrorCase(
        "tensor entry not an object", header: #"{"a":4}"#,
        #"tensor "a": entry is a number, not an object"#),
    ParseErrorCase(
        "dtype missing", header: #"{"a":{"shape":[1],"data_offsets":[0,4]}}"#, dataSize: 4,
        #"tensor "a": dtype missing or not a string"#),
    ParseErrorCase(
        "shape missing", header: #"{"a":{"dtype":"F32","data_offsets":[0,4]}}"#, dataSize: 4,
        "shape missing or not an array"),
    ParseErrorCase(
        "unexpected key in entry",
        header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"strides":[1]}}"#,
        dataSize: 4,
        #"unexpected key "strides""#),
]

@Test(arguments: parseErrorCases)
func malformedSafetensorsAreRejected(_ testCase: ParseErrorCase) throws {
    let error = #expect(throws: ArtifactError.self) {
        try SafetensorsFile.parse(testCase.bytes, file: "runs/7/model.safetensors")
    }
    #expect(error?.code == .invalidFormat)
    #expect(error?.path == "runs/7/model.safetensors")
    #expect(error?.description.hasPrefix("runs/7/model.safetensors: ") == true)
    #expect(
        error?.message.contains(testCase.fragment) == true, "message: \(error?.message ?? "none")")
}

/// The same checks through `read(path:)`, which must name the path it was given.
@Test func readNamesTheFileInFormatErrors() throws {
    try withTemporaryDirectory { dir throws in
        let path = dir + "/broken.safetensors"
        try AtomicFile.write(safetensorsBytes(header: "{", data: []), to: path)
        let error = #expect(throws: ArtifactError.self) { try SafetensorsFile.read(path: path) }
        #expect(error?.path == path)
        #expect(
            error?.message.contains("invalid JSON in header at byte 9") == true,
            "\(error?.message ?? "")")
    }
}
