import MLPConfig
import Testing

@Suite("--set overrides")
struct OverrideTests {
    @Test("Scalars, lists and mappings replace values")
    func values() throws {
        let config = try parse(
            minimalYAML,
            overrides: [
                "model.layers=[784,128,10]", "train.optimizer.learning_rate=0.5", "train.epochs=7",
                "train.optimizer={kind: adam, learning_rate: 0.001}", "output.dir=runs/other dir",
            ])
        #expect(config.model.layers == [784, 128, 10])
        #expect(config.train.epochs == 7)
        #expect(config.train.optimizer == OptimizerConfig(kind: .adam, learningRate: 0.001))
        #expect(config.output.dir == "runs/other dir")
    }

    @Test("Overrides apply in order; the last one wins")
    func order() throws {
        let config = try parse(minimalYAML, overrides: ["train.epochs=3", "train.epochs=9"])
        #expect(config.train.epochs == 9)
    }

    @Test("Missing mappings on the path are created")
    func createsMappings() throws {
        let config = try parse(
            minimalYAML,
            overrides: ["data.test.path=x.csv", "train.schedule.kind=cosine", "model.init.seed=42"])
        #expect(config.data.test == DataSourceConfig(path: "x.csv", format: "csv"))
        #expect(config.train.schedule.kind == .cosine)
        #expect(config.model.initialization == .scheme(.xavier, seed: 42, range: 0.1))
    }

    @Test("null removes an optional section so another can take its place")
    func nullRemoves() throws {
        let yaml = withData("train: {path: a.csv}\nsplit: {test_fraction: 0.2}")
        #expect(
            errorText(yaml, overrides: ["data.test.path=b.csv"])
                .hasSuffix("data.test and data.split are mutually exclusive; keep one of them"))
        let config = try parse(yaml, overrides: ["data.split=null", "data.test.path=b.csv"])
        #expect(config.data.split == nil)
        #expect(config.data.test?.path == "b.csv")
    }

    @Test("Unknown key on the path: the whole override, the place and a suggestion")
    func unknownKey() {
        let error = parseError(minimalYAML, overrides: ["train.optimzer.kind=adam"])
        #expect(
            error?.description
                == "--set train.optimzer.kind=adam: train: unknown key 'optimzer'; did you mean 'optimizer'?"
        )
        #expect(error?.file == "--set train.optimzer.kind=adam")
        #expect(error?.line == nil)
        #expect(error?.key == "train.optimzer")
        #expect(
            errorText(minimalYAML, overrides: ["trian.epochs=3"])
                == "--set trian.epochs=3: unknown top-level key 'trian'; did you mean 'train'?")
        #expect(
            errorText(minimalYAML, overrides: ["train.optimizer.lr=3"])
                .hasPrefix(
                    "--set train.optimizer.lr=3: train.optimizer: unknown key 'lr'; allowed keys: kind, learning_rate"
                ))
    }

    @Test("Malformed overrides")
    func malformed() {
        #expect(
            errorText(minimalYAML, overrides: ["train.epochs"])
                == "--set train.epochs: expected key.path=value, e.g. --set train.epochs=10")
        #expect(
            errorText(minimalYAML, overrides: ["train..epochs=3"])
                == "--set train..epochs=3: 'train..epochs' is not a key path such as train.epochs")
        #expect(
            errorText(minimalYAML, overrides: ["=3"])
                == "--set =3: '' is not a key path such as train.epochs")
        #expect(
            errorText(minimalYAML, overrides: ["model.layers=[1, 2"])
                .hasPrefix(
                    "--set model.layers=[1, 2: model.layers: the value is not valid YAML: invalid YAML: "
                ))
    }

    @Test("A path through a value is an error")
    func throughNonMapping() {
        #expect(
            errorText(minimalYAML, overrides: ["train.epochs.max=3"])
                == "--set train.epochs.max=3: train.epochs takes a value, not keys such as 'max'")
        let yaml = withModel("layers: [4, 3, 2]\ninit: xavier")
        #expect(
            errorText(yaml, overrides: ["model.init.seed=3"])
                == "--set model.init.seed=3: model.init is 'xavier' at x.yaml:3:9, not a mapping")
    }

    @Test("Invalid values from --set get the usual messages, with --set as the file")
    func invalidValue() {
        let error = parseError(minimalYAML, overrides: ["train.batch_size=0"])
        #expect(error?.description == "--set: train.batch_size: expected an integer ≥ 1, found '0'")
        #expect(error?.file == "--set")
        #expect(error?.line == nil && error?.column == nil)
        #expect(error?.key == "train.batch_size")
        #expect(
            errorText(minimalYAML, overrides: ["train.optimizer={learning_rate: 1, lr: 2}"])
                == "--set: train.optimizer: unknown key 'lr'; allowed keys: kind, learning_rate, momentum, nesterov, "
                + "weight_decay, beta1, beta2, epsilon")
        #expect(
            errorText(
                minimalYAML,
                overrides: ["train.optimizer.momentum=0.9", "train.optimizer.kind=adam"])
                == "--set: train.optimizer.momentum applies to sgd, not adam")
    }

    @Test("A value set in the file keeps its file position when an override fails elsewhere")
    func fileErrorsStayInFile() {
        let yaml = withTrain("epochs: 5\noptimizer: {learning_rate: 1, momentum: 0.9}")
        #expect(
            errorText(yaml, overrides: ["train.optimizer.kind=adam"])
                == "x.yaml:7:33: train.optimizer.momentum applies to sgd, not adam")
    }

    @Test("Quoting in --set values keeps strings as strings")
    func quoting() throws {
        #expect(
            errorText(minimalYAML, overrides: ["train.epochs='5'"])
                == "--set: train.epochs: expected an integer ≥ 1, found the string \"5\"")
        let config = try parse(
            minimalYAML, overrides: ["output.dir='2024'", "data.train.delimiter=\"\\t\""])
        #expect(config.output.dir == "2024")
        #expect(config.data.train.delimiter == "\t")
    }
}
