import Foundation
import MLPConfig
import Testing

/// One test per kind of error; each checks the file, line, column, key path and wording.
@Suite("Configuration errors")
struct ErrorTests {
    // MARK: - Keys

    @Test("Unknown key: position, full key path and a did-you-mean")
    func unknownKeyWithSuggestion() {
        let error = parseError(withTrain("epochs: 5\noptimizer:\n  learning_rat: 0.5"))
        #expect(error?.file == "x.yaml")
        #expect(error?.line == 8)
        #expect(error?.column == 5)
        #expect(error?.key == "train.optimizer.learning_rat")
        #expect(
            error?.description
                == "x.yaml:8:5: train.optimizer: unknown key 'learning_rat'; did you mean 'learning_rate'?"
        )
    }

    @Test("Unknown key: suggestions by shared prefix and by case")
    func suggestionsByPrefixAndCase() {
        #expect(
            errorText(withTrain("epochs: 5\noptimizer: {learning: 1}")).hasSuffix(
                "did you mean 'learning_rate'?"))
        #expect(
            errorText(withTrain("epochs: 5\nbatchSize: 3\noptimizer: {learning_rate: 1}"))
                .hasSuffix("train: unknown key 'batchSize'; did you mean 'batch_size'?"))
        #expect(
            errorText(withTrain("Epochs: 5\noptimizer: {learning_rate: 1}"))
                .hasSuffix("did you mean 'epochs'?"))
        #expect(
            errorText(withTrain("epochs: 5\nschedule: {warmup: 3}\noptimizer: {learning_rate: 1}"))
                .hasSuffix("train.schedule: unknown key 'warmup'; did you mean 'warmup_steps'?"))
    }

    @Test("Unknown key with nothing close lists the allowed keys")
    func unknownKeyListsAllowed() {
        #expect(
            errorText(withTrain("epochs: 5\noptimizer: {lr: 0.5}"))
                == "x.yaml:7:15: train.optimizer: unknown key 'lr'; allowed keys: kind, learning_rate, momentum, "
                + "nesterov, weight_decay, beta1, beta2, epsilon")
    }

    @Test("Unknown top-level key")
    func unknownTopLevel() {
        let error = parseError(minimalYAML + "\ndistributed: {ranks: 2}")
        #expect(error?.line == 10 && error?.column == 1)
        #expect(error?.key == "distributed")
        #expect(
            error?.message
                == "unknown top-level key 'distributed'; allowed keys: model, data, train, output, parallel")
    }

    @Test("Parallel section: misspelt key and thread count")
    func parallelErrors() {
        let typo = parseError(minimalYAML + "\nparallel: {thread: 2}")
        #expect(typo?.message == "parallel: unknown key 'thread'; did you mean 'threads'?")
        let zero = parseError(minimalYAML + "\nparallel: {threads: 0}")
        #expect(zero?.message == "parallel.threads: expected auto or an integer ≥ 1, found '0'")
        let mismatch = parseError(minimalYAML + "\nparallel: {threads: 3, cpus: [0, 1]}")
        #expect(mismatch?.message == "parallel.threads: 3 threads, but parallel.cpus lists 2 CPUs")
    }

    @Test("Missing required key inside a section points at the section")
    func missingRequiredKey() {
        let error = parseError(withTrain("batch_size: 8\noptimizer: {learning_rate: 0.5}"))
        #expect(error?.description == "x.yaml:5:1: missing required key train.epochs")
        #expect(error?.key == "train.epochs")
    }

    @Test("Missing section reports its first required key, without a line")
    func missingSection() {
        let yaml = minimalYAML.replacingSection("output", with: nil)
        let error = parseError(yaml)
        #expect(error?.description == "x.yaml: missing required key output.dir")
        #expect(error?.line == nil)
        #expect(
            errorText(withTrain("epochs: 5"))
                == "x.yaml:5:1: missing required key train.optimizer.learning_rate")
    }

    @Test("Duplicate keys name both lines and the key path")
    func duplicateKeys() {
        let error = parseError(withTrain("epochs: 5\noptimizer: {learning_rate: 0.5}\nepochs: 6"))
        #expect(
            error?.description
                == "x.yaml:8:3: train: duplicate key 'epochs' (first given at line 6)")
        #expect(error?.key == "train.epochs")
        let flow = parseError(withData("train: {path: a.csv, path: b.csv}"))
        #expect(
            flow?.description
                == "x.yaml:4:24: data.train: duplicate key 'path' (first given at line 4)")
        #expect(
            errorText(minimalYAML + "\nmodel: {layers: [1, 2]}")
                == "x.yaml:10:1: duplicate key 'model' (first given at line 1)")
    }

    // MARK: - Documents

    @Test("Empty file and whitespace-only file")
    func emptyFile() {
        #expect(
            errorText("")
                == "x.yaml: the configuration is empty; expected the sections model, data, train and output"
        )
        #expect(errorText("# nothing here\n\n").hasPrefix("x.yaml: the configuration is empty"))
    }

    @Test("A root that is not a mapping")
    func nonMappingRoot() {
        #expect(
            errorText("- model\n- data")
                == "x.yaml:1:1: expected a mapping with the sections model, data, train and output, found a list"
        )
        #expect(errorText("just words").hasSuffix("found 'just words'"))
    }

    @Test("YAML syntax errors keep their line")
    func syntaxError() {
        let error = parseError("model:\n  layers: [4, 2\ndata: {}\n")
        #expect(error?.file == "x.yaml")
        #expect(error?.line == 3)
        #expect(error?.message.hasPrefix("invalid YAML: ") == true)
        let tab = parseError("model:\n\tlayers: [4, 2]\n")
        #expect(tab?.line == 2)
        #expect(
            errorText(minimalYAML + "\n---\nmodel: {}").hasPrefix(
                "x.yaml:10:1: invalid YAML: but found another document"))
    }

    @Test("Mapping keys must be plain names")
    func complexKey() {
        #expect(
            errorText("? [a, b]\n: 1\n")
                == "x.yaml:1:3: mapping keys must be plain names, found a list")
    }

    // MARK: - Types and ranges

    @Test("Out-of-range integer names the key, line and column")
    func integerRange() {
        let error = parseError(
            withTrain("epochs: 5\nbatch_size: 0\noptimizer: {learning_rate: 0.5}"))
        #expect(
            error?.description
                == "x.yaml:7:15: train.batch_size: expected an integer ≥ 1, found '0'")
        #expect(error?.key == "train.batch_size")
    }

    @Test(
        "Wrong types",
        arguments: [
            (
                "epochs: \"50\"",
                "x.yaml:6:11: train.epochs: expected an integer ≥ 1, found the string \"50\""
            ),
            ("epochs: 2.5", "x.yaml:6:11: train.epochs: expected an integer ≥ 1, found '2.5'"),
            ("epochs: [5]", "x.yaml:6:11: train.epochs: expected an integer ≥ 1, found a list"),
            ("epochs: ~", "x.yaml:6:11: train.epochs: expected an integer ≥ 1, found null"),
            (
                "epochs: 5\nshuffle: yes",
                "x.yaml:7:12: train.shuffle: expected true or false, found 'yes'"
            ),
            (
                "epochs: 5\nseed: -1",
                "x.yaml:7:9: train.seed: expected an unsigned integer (0 to 18446744073709551615), found '-1'"
            ),
            (
                "epochs: 5\nseed: 18446744073709551616",
                "x.yaml:7:9: train.seed: expected an unsigned integer (0 to 18446744073709551615), found '18446744073709551616'"
            ),
            (
                "epochs: 5\noptimizer: {learning_rate: 0}",
                "x.yaml:7:30: train.optimizer.learning_rate: expected a number > 0, found '0'"
            ),
            (
                "epochs: 5\noptimizer: {learning_rate: .inf}",
                "x.yaml:7:30: train.optimizer.learning_rate: expected a number > 0, found '.inf'"
            ),
            (
                "epochs: 5\noptimizer: {learning_rate: 1, momentum: 1}",
                "x.yaml:7:43: train.optimizer.momentum: expected a number in [0, 1), found '1'"
            ),
            (
                "epochs: 5\noptimizer: {learning_rate: 1, weight_decay: -0.1}",
                "x.yaml:7:47: train.optimizer.weight_decay: expected a number ≥ 0, found '-0.1'"
            ),
            (
                "epochs: 5\noptimizer: {kind: adam, learning_rate: 1, beta2: 1.0}",
                "x.yaml:7:52: train.optimizer.beta2: expected a number in [0, 1), found '1.0'"
            ),
            (
                "epochs: 5\noptimizer: {kind: adam, learning_rate: 1, epsilon: 0}",
                "x.yaml:7:54: train.optimizer.epsilon: expected a number > 0, found '0'"
            ),
            (
                "epochs: 5\noptimizer: {learning_rate: 1}\nschedule: {kind: step, step_epochs: 2, gamma: 0}",
                "x.yaml:8:49: train.schedule.gamma: expected a number in (0, 1], found '0'"
            ),
            (
                "epochs: 5\noptimizer: {learning_rate: 1}\nschedule: {warmup_steps: -1}",
                "x.yaml:8:28: train.schedule.warmup_steps: expected an integer ≥ 0, found '-1'"
            ),
            (
                "epochs: 5\noptimizer: {kind: sgdd, learning_rate: 1}",
                "x.yaml:7:21: train.optimizer.kind: expected one of sgd, adam, found 'sgdd'; did you mean 'sgd'?"
            ),
            (
                "epochs: 5\noptimizer: 0.5",
                "x.yaml:7:14: train.optimizer: expected a mapping, found '0.5'"
            ),
        ])
    func wrongTypes(train: String, expected: String) {
        #expect(
            errorText(
                withTrain(
                    train.contains("optimizer") ? train : train + "\noptimizer: {learning_rate: 1}")
            ) == expected)
    }

    @Test("List elements are named by index")
    func listElement() {
        let error = parseError(withModel("layers: [4, 0, 2]"))
        #expect(
            error?.description == "x.yaml:2:15: model.layers[1]: expected an integer ≥ 1, found '0'"
        )
        #expect(error?.key == "model.layers[1]")
        #expect(
            errorText(withModel("layers: [4]"))
                == "x.yaml:2:11: model.layers: expected a list of at least 2 integers ≥ 1, found a list of 1"
        )
        #expect(
            errorText(withModel("layers: 4"))
                == "x.yaml:2:11: model.layers: expected a list of at least 2 integers ≥ 1, found '4'"
        )
    }

    @Test("Keyword values suggest the closest choice")
    func keywordSuggestion() {
        let error = parseError(withModel("layers: [4, 2]\nactivation: sigmod"))
        #expect(
            error?.description
                == "x.yaml:3:15: model.activation: expected one of sigmoid, tanh, relu, leaky_relu, identity, found "
                + "'sigmod'; did you mean 'sigmoid'?")
        #expect(
            errorText(withModel("layers: [4, 2]\nloss: mse"))
                == "x.yaml:3:9: model.loss: expected one of squared_error, cross_entropy, found 'mse'"
        )
    }

    @Test("leaky_slope must lie strictly between 0 and 1")
    func leakySlope() {
        #expect(
            errorText(withModel("layers: [4, 2]\nactivation: leaky_relu\nleaky_slope: 1"))
                == "x.yaml:4:16: model.leaky_slope: expected a number in (0, 1), found '1'")
    }

    // MARK: - Cross-field rules

    @Test("softmax is not a hidden activation")
    func hiddenSoftmax() {
        #expect(
            errorText(withModel("layers: [4, 2]\nactivation: softmax"))
                == "x.yaml:3:15: model.activation: softmax is only for the output layer (output_activation); "
                + "hidden layers take one of sigmoid, tanh, relu, leaky_relu, identity")
    }

    @Test("softmax needs cross_entropy and cross_entropy needs softmax")
    func softmaxCrossEntropy() {
        let softmax = parseError(withModel("layers: [4, 2]\noutput_activation: softmax"))
        #expect(
            softmax?.description
                == "x.yaml:3:22: model.output_activation: softmax needs loss cross_entropy, but model.loss is squared_error, the default"
        )
        #expect(softmax?.key == "model.output_activation")
        #expect(
            errorText(withModel("layers: [4, 2]\nloss: cross_entropy\noutput_activation: sigmoid"))
                == "x.yaml:4:22: model.output_activation: loss cross_entropy needs output_activation softmax, found 'sigmoid'"
        )
        #expect(
            errorText(withModel("layers: [4, 1]\nloss: cross_entropy"))
                == "x.yaml:2:11: model.layers: a softmax output needs at least 2 units, found 1")
    }

    @Test("init: scheme or from, and keys of the scheme")
    func initRules() {
        #expect(
            errorText(withModel("layers: [4, 2]\ninit: {scheme: he, from: m.safetensors}"))
                == "x.yaml:3:10: model.init: give either scheme or from, not both")
        #expect(
            errorText(withModel("layers: [4, 2]\ninit: {from: m.safetensors, seed: 3}"))
                == "x.yaml:3:31: model.init.seed applies to scheme initialisation, not from")
        #expect(
            errorText(withModel("layers: [4, 2]\ninit: {range: 0.5}"))
                == "x.yaml:3:10: model.init.range applies to scheme uniform, not xavier")
        #expect(
            errorText(withModel("layers: [4, 2]\ninit: {scheme: uniform, range: 0}"))
                == "x.yaml:3:34: model.init.range: expected a number > 0, found '0'")
    }

    @Test("test and split are mutually exclusive")
    func testAndSplit() {
        let error = parseError(
            withData("train: {path: a.csv}\ntest: {path: b.csv}\nsplit: {test_fraction: 0.1}"))
        #expect(
            error?.description
                == "x.yaml:6:3: data.test and data.split are mutually exclusive; keep one of them")
        #expect(error?.key == "data.split")
        #expect(
            errorText(withData("train: {path: a.csv}\nsplit: {test_fraction: 1}"))
                == "x.yaml:5:26: data.split.test_fraction: expected a number in (0, 1), found '1'")
        #expect(
            errorText(withData("train: {path: a.csv}\nsplit: {seed: 2}"))
                == "x.yaml:5:3: missing required key data.split.test_fraction")
    }

    @Test("Optimizer keys belong to their kind")
    func optimizerKeys() {
        let error = parseError(
            withTrain("epochs: 5\noptimizer:\n  kind: adam\n  learning_rate: 0.01\n  momentum: 0.9")
        )
        #expect(
            error?.description == "x.yaml:10:5: train.optimizer.momentum applies to sgd, not adam")
        #expect(error?.key == "train.optimizer.momentum")
        #expect(
            errorText(withTrain("epochs: 5\noptimizer: {learning_rate: 1, beta1: 0.8}"))
                == "x.yaml:7:33: train.optimizer.beta1 applies to adam, not sgd")
    }

    @Test("nesterov needs momentum")
    func nesterov() {
        #expect(
            errorText(withTrain("epochs: 5\noptimizer: {learning_rate: 1, nesterov: true}"))
                == "x.yaml:7:43: train.optimizer.nesterov: nesterov needs momentum > 0")
    }

    @Test("Schedule keys belong to their kind; step needs step_epochs")
    func scheduleRules() {
        #expect(
            errorText(withTrain("epochs: 5\noptimizer: {learning_rate: 1}\nschedule: {kind: step}"))
                == "x.yaml:8:3: missing required key train.schedule.step_epochs (schedule kind step)"
        )
        #expect(
            errorText(withTrain("epochs: 5\noptimizer: {learning_rate: 1}\nschedule: {gamma: 0.5}"))
                == "x.yaml:8:14: train.schedule.gamma applies to step, not constant")
        #expect(
            errorText(
                withTrain(
                    "epochs: 5\noptimizer: {learning_rate: 1}\nschedule: {kind: step, step_epochs: 3, min_learning_rate: 0}"
                ))
                == "x.yaml:8:42: train.schedule.min_learning_rate applies to cosine, not step")
        #expect(
            errorText(
                withTrain(
                    "epochs: 5\noptimizer: {learning_rate: 0.1}\nschedule: {kind: cosine, min_learning_rate: 0.5}"
                ))
                == "x.yaml:8:47: train.schedule.min_learning_rate: must not exceed the learning rate (0.1)"
        )
    }

    @Test("Regression targets: label none, distinct columns, one output each")
    func targets() {
        #expect(
            errorText(withData("train: {path: r.csv, targets: [3, 4], label: last}"))
                == "x.yaml:4:48: data.train.label: must be none when targets are given, found 'last'"
        )
        #expect(
            errorText(withData("train: {path: r.csv, targets: [3, 3]}"))
                == "x.yaml:4:33: data.train.targets[1]: column 3 is listed twice")
        #expect(
            errorText(withData("train: {path: r.csv, targets: []}"))
                == "x.yaml:4:33: data.train.targets: expected a list of at least 1 integer ≥ 0, found a list of 0"
        )
        #expect(
            errorText(withData("train: {path: r.csv, targets: [5]}"))
                == "x.yaml:4:33: data.train.targets: 1 target column, but model.layers ends with 2 outputs"
        )
        #expect(
            errorText(withData("train: {path: r.csv, label: none}"))
                == "x.yaml:4:31: data.train.label: none leaves the examples without labels; give a label column or targets"
        )
        #expect(
            errorText(withData("train: {path: r.csv, targets: [0, 1]}\ntest: {path: t.csv}"))
                == "x.yaml:5:9: data.test: must have 2 target columns like data.train")
    }

    @Test("Data formats: inference, keys per format, IDX labels")
    func formats() {
        #expect(
            errorText(withData("train: {path: data/x.bin}"))
                == "x.yaml:4:17: data.train.format: cannot tell the format of 'data/x.bin' from its name; add format: csv, idx, npy, fann"
        )
        #expect(
            errorText(withData("train: {path: x.bin, format: parquet}"))
                == "x.yaml:4:32: data.train.format: expected one of csv, idx, npy, fann, found 'parquet'"
        )
        #expect(
            errorText(withData("train: {path: x.npy, delimiter: ';'}"))
                == "x.yaml:4:24: data.train.delimiter applies to csv files, not npy")
        #expect(
            errorText(withData("train: {path: x.csv, labels: y.csv}"))
                == "x.yaml:4:24: data.train.labels applies to idx and npy files, not csv")
        #expect(
            errorText(withData("train: {path: train-images-idx3-ubyte}"))
                == "x.yaml:4:3: missing required key data.train.labels (IDX images need their labels file)"
        )
    }

    @Test("CSV options: label, header and delimiter values")
    func csvOptions() {
        #expect(
            errorText(withData("train: {path: x.csv, label: lst}"))
                == "x.yaml:4:31: data.train.label: expected last, first, none or a column index ≥ 0, found 'lst'; did you mean 'last'?"
        )
        #expect(
            errorText(withData("train: {path: x.csv, label: -1}"))
                == "x.yaml:4:31: data.train.label: expected last, first, none or a column index ≥ 0, found '-1'"
        )
        #expect(
            errorText(withData("train: {path: x.csv, header: maybe}"))
                == "x.yaml:4:32: data.train.header: expected auto, true or false, found 'maybe'")
        #expect(
            errorText(withData("train: {path: x.csv, delimiter: ';;'}"))
                == "x.yaml:4:35: data.train.delimiter: expected one ASCII character other than a newline or '\"', found the string \";;\""
        )
    }

    @Test("scale takes a positive number, standardize or none")
    func scale() {
        #expect(
            errorText(withData("train: {path: x.csv}\nscale: 1/255"))
                == "x.yaml:5:10: data.scale: expected a number > 0, standardize or none, found '1/255'"
        )
        #expect(errorText(withData("train: {path: x.csv}\nscale: 0")).hasSuffix("found '0'"))
    }

    @Test("Paths must be non-empty strings")
    func paths() {
        #expect(
            errorText(minimalYAML.replacingOccurrences(of: "dir: runs/test", with: "dir: \"\""))
                == "x.yaml:9:8: output.dir: expected a directory path, found the string \"\"")
        #expect(
            errorText(withData("train: {path: [a]}"))
                == "x.yaml:4:17: data.train.path: expected a file path, found a list")
    }
}
