// swift-tools-version: 6.0
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
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(
            name: "CHwloc", pkgConfig: "hwloc",
            providers: [.apt(["libhwloc-dev"])]),
        .target(name: "MLPCore", swiftSettings: kernelFlags),
        .target(name: "MLPRuntime", dependencies: ["MLPCore", "CHwloc"]),
        .target(name: "MLPData", dependencies: ["MLPCore", "CZlib"]),
        .target(name: "MLPConfig", dependencies: [.product(name: "Yams", package: "Yams")]),
        .target(name: "MLPTraining", dependencies: ["MLPCore", "MLPData", "MLPConfig", "MLPRuntime"]),
        .executableTarget(
            name: "mlpd",
            dependencies: [
                "MLPTraining", "MLPConfig", "MLPData", "MLPCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "MLPCoreTests", dependencies: ["MLPCore"]),
        .testTarget(name: "MLPDataTests", dependencies: ["MLPData", "MLPCore", "CZlib"]),
        .testTarget(name: "MLPConfigTests", dependencies: ["MLPConfig"]),
        .testTarget(name: "MLPRuntimeTests", dependencies: ["MLPRuntime"]),
        // Test-only: counts the process's heap allocations (defines malloc; see its header).
        .target(name: "CMallocCounter", path: "Tests/CMallocCounter"),
        .testTarget(name: "MLPTrainingTests", dependencies: ["MLPTraining", "MLPConfig", "MLPCore", "MLPRuntime", "CMallocCounter"]),
        .testTarget(name: "mlpdTests", dependencies: ["mlpd", "MLPTraining", "MLPCore"]),
    ]
)
