/// The file formats the loader reads. Any of them may be gzip-compressed.
public enum DataFormat: String, Sendable, CaseIterable {
    /// Delimited text, one example per row (comma, tab, semicolon or space separated).
    case csv
    /// The MNIST IDX binary format: a big-endian magic number, dimension sizes, raw values.
    case idx
    /// A NumPy `.npy` array (format versions 1.0, 2.0 and 3.0, C order, little-endian).
    case npy
    /// The FANN library's text training-data format.
    case fann

    /// The format a file name implies, or nil when the name says nothing.
    ///
    /// A trailing `.gz` is ignored. Then, on the lowercased last path component:
    /// `.csv`, `.tsv`, `.txt` → csv; `.npy` → npy; `.data`, `.fann`, `.train`, `.test` → fann;
    /// otherwise a name containing `idx` or `-ubyte` → idx (the MNIST names
    /// `train-images-idx3-ubyte` and the like). Extensions win over the `idx` rule, so
    /// `idx_table.csv` is csv.
    public init?(inferringFromPath path: String) {
        var name = Substring(path.split(separator: "/", omittingEmptySubsequences: false).last ?? "")
            .lowercased()
        if name.hasSuffix(".gz") { name.removeLast(3) }
        let byExtension: [(String, DataFormat)] = [
            (".csv", .csv), (".tsv", .csv), (".txt", .csv), (".npy", .npy),
            (".data", .fann), (".fann", .fann), (".train", .fann), (".test", .fann),
        ]
        if let match = byExtension.first(where: { name.hasSuffix($0.0) }) {
            self = match.1
        } else if name.contains("idx") || name.contains("-ubyte") {
            self = .idx
        } else {
            return nil
        }
    }
}
