// Entry point for fxr's Google Benchmark microbenchmarks.
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
