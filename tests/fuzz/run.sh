#!/usr/bin/env bash
# Builds the fuzz targets (service files, requests, duration/size parsers, the JSON escaper,
# environment files, HTTP request heads)
# with clang (ASan+UBSan) and fuzzes each for SECONDS (default 60)
# from the corpus in tests/fuzz/corpus. New inputs found are kept in .fuzz/ (not committed);
# a crash stops with its reproducer saved there and a non-zero exit.
# Usage: tests/fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
bash .ci/install-deps.sh fuzz
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DSUPERVISOR_FUZZ=ON -DSUPERVISOR_TESTS=OFF >/dev/null
cmake --build build-fuzz --target fuzz_config fuzz_request fuzz_units fuzz_json fuzz_env fuzz_http
for target in config request units json env http; do
  mkdir -p .fuzz/$target
  echo "fuzzing $target for ${seconds}s"
  corpus=tests/fuzz/corpus/$target
  [ -d "$corpus" ] || corpus=""
  ./build-fuzz/tests/fuzz/fuzz_$target -max_total_time="$seconds" -max_len=8192 -timeout=10 \
    -artifact_prefix=.fuzz/ -print_final_stats=1 .fuzz/$target $corpus 2>&1 | tail -4
done
