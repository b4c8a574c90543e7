#!/usr/bin/env bash
# Runs on the GPU machine from the project root, with .gpu/ from scripts/gpu-prepare: the
# renderer bench (quick once, the linear cases twice), then every test binary (validation
# on, enabled by the tests themselves). Logs go into $OUT; summary.txt has each step's
# exit status and every test binary's result lines.
export LD_LIBRARY_PATH=$PWD/.gpu/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export VKCOMPOSE_FAULT_LAYER=$PWD/.gpu/lib/libvkcompose_fault_layer.so
out=${OUT:-/tmp}
timeout 170 bash .gpu/run.sh zbench -- quick > "$out/bench_quick.log" 2>&1
echo "quick rc=$?" >> "$out/summary.txt"
for i in 1 2; do
    timeout 120 bash .gpu/run.sh zbench -- linear > "$out/bench_linear$i.log" 2>&1
    echo "linear $i rc=$?" >> "$out/summary.txt"
done
mkdir -p .gpu/aside && mv .gpu/bin/zbench-renderer .gpu/aside/
timeout 200 bash .gpu/run.sh "" > "$out/tests.log" 2>&1
echo "tests rc=$?" >> "$out/summary.txt"
mv .gpu/aside/zbench-renderer .gpu/bin/
grep -E "^=== |test result|FAILED|panicked" "$out/tests.log" >> "$out/summary.txt"
