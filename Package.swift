// swift-tools-version: 6.1
//
// Quorum: inference-time compute scaling for language models.
// docs/ARCHITECTURE.md draws these targets and what each may import.

import PackageDescription

// Release builds compile for a CPU baseline that has the vector units the kernels
// are written for (AVX2 + FMA + F16C on x86-64: every x86-64 CPU since 2013/2017),
// because generic x86-64 code runs SIMD kernels 20-40x below the hardware's peak
// (../shared/docs/BASELINE.md, "Swift note"). Debug builds stay generic.
// QUORUM_TARGET_CPU overrides the baseline: a host name such as `znver5` for the
// last few percent on one machine, or `generic` for an old CPU.
#if arch(x86_64)
let defaultTargetCPU = "haswell"
#else
let defaultTargetCPU = "generic"   // arm64: NEON is part of the baseline ABI
#endif
let targetCPU = Context.environment["QUORUM_TARGET_CPU"] ?? defaultTargetCPU

let releaseSettings: [SwiftSetting] =
    targetCPU == "generic" ? [] : [.unsafeFlags(["-target-cpu", targetCPU], .when(configuration: .release))]

let commonSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
] + releaseSettings

let package = Package(
    name: "Quorum",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "quorum", targets: ["QuorumCLI"]),
        .library(name: "Quorum", targets: [
            "QuorumKit", "TensorCore", "GGUF", "Kernels", "Tokenizers", "Models", "Engine", "Training",
            "ModelHub", "ScalingCore", "Datasets", "Verifiers", "Metrics", "RunStore", "Experiments",
            "Report", "Aggregation", "OpenAIAPI", "Server", "OpenAIClient", "Benchmarks",
        ]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // Engine layer: tensors, files, kernels.
        .target(name: "TensorCore", swiftSettings: commonSettings),
        .target(name: "GGUF", dependencies: ["TensorCore"], swiftSettings: commonSettings),
        // The int8 matrix kernels are C: they need per-function instruction sets
        // (AVX-512 VNNI chosen at run time) that Swift cannot express (docs/ARCHITECTURE.md).
        // No contraction: the kernels fix their float operation order for determinism.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off"])]),
        .target(name: "Kernels", dependencies: ["TensorCore", "CKernels"], swiftSettings: commonSettings),
        .target(name: "Tokenizers", dependencies: ["GGUF", "ScalingCore"], swiftSettings: commonSettings),
        .target(name: "Models", dependencies: ["TensorCore", "GGUF", "Kernels", "CKernels"], swiftSettings: commonSettings),
        .target(name: "Engine", dependencies: ["GGUF", "Models", "Tokenizers", "Kernels", "ScalingCore"], swiftSettings: commonSettings),

        // Training engine: f32 master weights, hand-written forward and backward passes, AdamW, GGUF export.
        // Its float32 matrix products are C for the same reason as CKernels (run-time AVX-512).
        .target(name: "CTrainingKernels", cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off"])]),
        .target(name: "Training", dependencies: ["TensorCore", "GGUF", "Kernels", "Models", "Tokenizers", "ScalingCore", "CTrainingKernels"],
                swiftSettings: commonSettings),

        // Scaling layer: problems, verdicts and the pieces that consume them.
        .target(name: "ScalingCore", swiftSettings: commonSettings),
        .target(name: "ModelHub", dependencies: ["GGUF", "ScalingCore"], swiftSettings: commonSettings),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "RunStore", dependencies: ["ScalingCore", "CSQLite"], swiftSettings: commonSettings),
        .target(name: "Experiments", dependencies: ["ScalingCore", "RunStore", "Metrics", "Report", "Verifiers", "Aggregation"], swiftSettings: commonSettings),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "Datasets", dependencies: ["ScalingCore", "CZlib"], swiftSettings: commonSettings),
        .target(name: "Verifiers", dependencies: ["ScalingCore"], swiftSettings: commonSettings),
        .target(name: "Metrics", dependencies: ["ScalingCore"], swiftSettings: commonSettings),
        .target(name: "Report", swiftSettings: commonSettings),
        .target(name: "Aggregation", dependencies: ["ScalingCore", "Verifiers", "Metrics"], swiftSettings: commonSettings),

        // The OpenAI API: wire types (Foundation and ScalingCore.JSONValue only), and `quorum serve` on Hummingbird.
        .target(name: "OpenAIAPI", dependencies: ["ScalingCore"], swiftSettings: commonSettings),
        .target(
            name: "Server",
            dependencies: [
                "OpenAIAPI", "ScalingCore", "Aggregation",
                .product(name: "Hummingbird", package: "hummingbird", moduleAliases: ["Metrics": "SwiftMetrics"]),
            ],
            swiftSettings: commonSettings),

        // OpenAI-compatible servers (vLLM, SGLang, llama.cpp, Ollama, hosted APIs) as a CompletionProvider.
        .target(name: "OpenAIClient", dependencies: [
            "OpenAIAPI", "ScalingCore",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
        ], swiftSettings: commonSettings),

        // Shared by the test targets: fixture paths, the default model, shared data.
        .target(name: "TestSupport", dependencies: ["ModelHub"], swiftSettings: commonSettings),

        // The library's front door: models and backends by name (`ModelBackend`), runs by
        // specification (`RunSpecification`). Every command, the server and a Swift program
        // start here instead of wiring engines, files and stores themselves.
        .target(name: "QuorumKit", dependencies: [
            "GGUF", "ModelHub", "ScalingCore", "Datasets", "Verifiers", "Metrics", "Models", "Engine",
            "RunStore", "Experiments", "Report", "Aggregation", "OpenAIClient",
        ], swiftSettings: commonSettings),

        // Speed measurements behind `quorum bench` (never timed tests).
        .target(name: "Benchmarks", dependencies: ["Engine", "Models", "Tokenizers"], swiftSettings: commonSettings),

        // Front end: every command in a library, so tests parse and run them in-process;
        // the executable is a thin `main`.
        .target(
            name: "QuorumCommands",
            dependencies: [
                "QuorumKit", "GGUF", "ModelHub", "ScalingCore", "Datasets", "Verifiers", "Metrics",
                "Tokenizers", "Models", "Engine", "RunStore", "Experiments", "Report", "Aggregation",
                "OpenAIAPI", "Server", "OpenAIClient", "Training", "Benchmarks",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: commonSettings),
        .executableTarget(name: "QuorumCLI", dependencies: ["QuorumCommands", .product(name: "ArgumentParser", package: "swift-argument-parser")], swiftSettings: commonSettings),

        // Tests (Swift Testing). Tests/Fixtures holds small committed files.
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "GGUF", "TestSupport"], swiftSettings: commonSettings),
        .testTarget(name: "GGUFTests", dependencies: ["GGUF", "TensorCore", "TestSupport"], swiftSettings: commonSettings),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "TensorCore", "TestSupport"], swiftSettings: commonSettings),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "GGUF", "ScalingCore", "TestSupport"], swiftSettings: commonSettings),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "GGUF", "Tokenizers", "TestSupport"], swiftSettings: commonSettings),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Models", "GGUF", "Kernels", "TensorCore", "TestSupport"], swiftSettings: commonSettings),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Models", "Tokenizers", "GGUF", "ScalingCore", "TestSupport"], swiftSettings: commonSettings),
        .testTarget(name: "ModelHubTests", dependencies: ["ModelHub", "GGUF", "ScalingCore", "TestSupport"], swiftSettings: commonSettings),
        .testTarget(name: "ExperimentsTests", dependencies: ["Experiments", "RunStore", "ScalingCore", "Metrics", "Report", "Datasets", "Verifiers", "Aggregation", "Engine", "GGUF", "TestSupport"], swiftSettings: commonSettings),
        .testTarget(name: "RunStoreTests", dependencies: ["RunStore", "ScalingCore", "TestSupport"], swiftSettings: commonSettings),
        .testTarget(name: "ScalingCoreTests", dependencies: ["ScalingCore", "TestSupport"], swiftSettings: commonSettings),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "ScalingCore", "TestSupport"], swiftSettings: commonSettings),
        .testTarget(name: "VerifiersTests", dependencies: ["Verifiers", "ScalingCore", "Datasets", "TestSupport"], swiftSettings: commonSettings),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics", "TestSupport"], swiftSettings: commonSettings),
        .testTarget(name: "AggregationTests", dependencies: ["Aggregation", "ScalingCore", "Engine", "GGUF", "Verifiers", "TestSupport"], swiftSettings: commonSettings),
        .testTarget(name: "OpenAIClientTests", dependencies: [
            "OpenAIClient", "ScalingCore", "RunStore", "Experiments", "Verifiers", "Engine", "ModelHub", "TestSupport",
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], swiftSettings: commonSettings),
        .testTarget(name: "ReportTests", dependencies: ["Report", "TestSupport"], swiftSettings: commonSettings),
        .testTarget(name: "BenchmarksTests", dependencies: ["Benchmarks", "Engine", "Models", "TestSupport"], swiftSettings: commonSettings),
        .testTarget(name: "QuorumKitTests", dependencies: ["QuorumKit", "Engine", "GGUF", "OpenAIClient", "Aggregation", "Experiments", "RunStore", "ScalingCore", "ModelHub", "Report", "Metrics", "TestSupport"], swiftSettings: commonSettings),
        .testTarget(name: "CommandsTests", dependencies: [
            "QuorumCommands", "QuorumKit", "ScalingCore", "Engine", "RunStore", "Datasets", "ModelHub", "Report", "TestSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: commonSettings),
        .testTarget(name: "ServerTests", dependencies: ["Server", "OpenAIAPI", "Engine", "ModelHub", "ScalingCore", "TestSupport"], swiftSettings: commonSettings),
    ]
)
