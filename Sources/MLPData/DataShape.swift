/// What the model expects of its data: the widths of its first and last layers.
///
/// The loader validates every file against this, so a mismatch between a data set and a
/// model's configuration is reported when the data is loaded, naming the file.
public struct DataShape: Sendable, Equatable {
    /// Features per example: the width of the first layer (`model.layers[0]`).
    public var inputCount: Int
    /// Targets per example: the width of the output layer. For classification data this is
    /// the number of classes; labels must lie in `0 ..< outputCount`.
    public var outputCount: Int

    public init(inputCount: Int, outputCount: Int) {
        self.inputCount = inputCount
        self.outputCount = outputCount
    }
}
