// swift-tools-version: 6.1
import PackageDescription

// Kernels are compiled for the build host's vector ISA in release builds. Override the CPU with
// MLPD_TARGET_CPU (e.g. `skylake-avx512`, `znver4`, `haswell`) when building for another machine.
let targetCPU = Context.environment["MLPD_TARGET_CPU"] ?? "native"
let kernelFlags: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-target-cpu", targetCPU], .when(configuration: .release))
]

let package = Package(
    name: "mlpd",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "mlpd", targets: ["mlpd"])
    ],
    // `swift build --traits MPI` adds multi-process training over Open MPI (MLPDistributed);
    // the default build needs no MPI.
    traits: [
        .trait(name: "MPI", description: "Train one model on several processes with Open MPI (needs libopenmpi-dev).")
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // The daemon (MLPDaemon). Hummingbird without its default traits: no swift-configuration.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(
            name: "CHwloc", pkgConfig: "hwloc",
            providers: [.apt(["libhwloc-dev"])]),
        .systemLibrary(
            name: "CMPI", pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev"])]),
        // Header only: tells MLPCore which vector ISA its own `-target-cpu` enabled, and gives it a
        // prefetch hint (Swift has none).
        .systemLibrary(name: "CKernel"),
        .target(name: "MLPCore", dependencies: ["CKernel"], swiftSettings: kernelFlags),
        .target(name: "MLPRuntime", dependencies: ["MLPCore", "CHwloc"]),
        .target(name: "MLPData", dependencies: ["MLPCore", "CZlib"]),
        .target(name: "MLPConfig", dependencies: [.product(name: "Yams", package: "Yams")]),
        .target(name: "MLPTraining", dependencies: ["MLPCore", "MLPData", "MLPConfig", "MLPRuntime"]),
        .target(
            name: "MLPDaemon",
            dependencies: [
                "MLPTraining", "MLPConfig",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]),
        .target(
            name: "MLPDistributed",
            dependencies: ["MLPTraining", "MLPRuntime", .target(name: "CMPI", condition: .when(traits: ["MPI"]))]),
        .executableTarget(
            name: "mlpd",
            dependencies: [
                "MLPTraining", "MLPConfig", "MLPData", "MLPCore", "MLPDaemon",
                .target(name: "MLPDistributed", condition: .when(traits: ["MPI"])),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "MLPCoreTests", dependencies: ["MLPCore"]),
        .testTarget(name: "MLPDataTests", dependencies: ["MLPData", "MLPCore", "CZlib"]),
        .testTarget(name: "MLPConfigTests", dependencies: ["MLPConfig"]),
        .testTarget(name: "MLPRuntimeTests", dependencies: ["MLPRuntime"]),
        // Test-only: counts the process's heap allocations (defines malloc; see its header).
        .target(name: "CMallocCounter", path: "Tests/CMallocCounter"),
        .testTarget(name: "MLPTrainingTests", dependencies: ["MLPTraining", "MLPConfig", "MLPCore", "MLPData", "MLPRuntime", "CMallocCounter"]),
        .testTarget(name: "mlpdTests", dependencies: ["mlpd", "MLPTraining", "MLPCore"]),
        .testTarget(name: "MLPDaemonTests", dependencies: ["mlpd", "MLPDaemon", "MLPConfig", "MLPTraining"]),
    ]
)
