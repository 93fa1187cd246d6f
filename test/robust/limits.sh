#!/bin/sh
# The CLI limits (--max-nodes, --max-tensor-bytes, --max-model-bytes) on
# compile, run and inspect: exceeding one is a one-line error, exit 1; bad
# values are rejected; the defaults admit a 20,000-node chain, which also
# compiles to an object in bounded time and memory.
#   limits.sh RESC HOSTILE_DIR DIGITS_MODEL WORK
set -u
RESC=$1; H=$2; DIGITS=$3; WORK=$4
rm -rf "$WORK"; mkdir -p "$WORK"
pass=0; fail=0

# expect_err TEXT CMD...: exit 1, one line "resc: error: ...", containing TEXT
expect_err() {
	want=$1; shift
	err=$("$@" 2>&1 >/dev/null); rc=$?
	lines=$(printf '%s\n' "$err" | grep -c '')
	if [ $rc -eq 1 ] && [ "$lines" -eq 1 ] && printf '%s' "$err" | grep -q '^resc: error: ' &&
	   printf '%s' "$err" | grep -qF -- "$want"; then
		pass=$((pass+1))
	else
		echo "FAIL (exit $rc, want '$want'): $*"; echo "  $err"; fail=$((fail+1))
	fi
}
expect_ok() {
	if "$@" >/dev/null 2>"$WORK/err"; then pass=$((pass+1)); else
		echo "FAIL (exit $?): $*"; cat "$WORK/err"; fail=$((fail+1)); fi
}

CHAIN=$H/valid_relu_chain_20000.onnx
expect_err "model has 20000 nodes, over the limit of 19999" \
	"$RESC" compile "$CHAIN" --emit ir -o "$WORK/c.ir" --max-nodes 19999
[ -e "$WORK/c.ir" ] && { echo "FAIL: output left after a failure"; fail=$((fail+1)); }
expect_ok "$RESC" compile "$CHAIN" --emit ir -o /dev/null --max-nodes 20000
expect_ok "$RESC" compile "$CHAIN" --emit ir -o /dev/null
# and to machine code, in bounded time and memory (NAME_run is split into
# parts of 256 calls; as one function LLVM took over 10 minutes): 1 GiB of
# address space, 120 s of CPU (it takes about 9).  An ASan build reserves
# terabytes of shadow address space, so there (RESC_SANITIZED=1, set by
# CMake) the bound is on the peak resident size instead, 3 GiB for ASan's
# shadow and quarantine, with 300 s of CPU.
if [ "${RESC_SANITIZED:-0}" = 1 ]; then
	expect_ok python3 -c '
import resource, subprocess, sys
resource.setrlimit(resource.RLIMIT_CPU, (300, 300))
rc = subprocess.call(sys.argv[1:])
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB
print("peak RSS %d MiB" % (peak >> 10), file=sys.stderr)
sys.exit(rc or (3 if peak > 3 << 20 else 0))' "$RESC" compile "$CHAIN" -o "$WORK/chain.o"
else
	expect_ok sh -c "ulimit -v 1048576; ulimit -t 120; exec \"\$0\" compile \"\$1\" -o \"\$2\"" \
		"$RESC" "$CHAIN" "$WORK/chain.o"
fi
[ -s "$WORK/chain.o" ] && [ -s "$WORK/chain.h" ] || { echo "FAIL: no chain.o/chain.h"; fail=$((fail+1)); }
expect_err "over the limit of 1024" "$RESC" compile "$DIGITS" --emit ir -o /dev/null --max-model-bytes 1K
expect_err "over the limit of 1024" "$RESC" compile "$DIGITS" --emit ir -o /dev/null --max-tensor-bytes 1024
expect_err "over the limit of 100" "$RESC" inspect "$DIGITS" --max-nodes 100000 --max-tensor-bytes 100
expect_err "over the limit of 1" "$RESC" inspect "$DIGITS" --max-nodes 1
expect_err "over the limit of 2048" "$RESC" run "$DIGITS" --interp --max-model-bytes=2k
expect_ok "$RESC" inspect "$DIGITS" --max-nodes 1000 --max-tensor-bytes 64M --max-model-bytes 1G
for bad in 0 -5 1Q 12KB "" 9999999999999999999 9999999999T; do
	expect_err "is not a positive size" "$RESC" compile "$DIGITS" --max-tensor-bytes "$bad"
done
expect_err "is not an integer" "$RESC" compile "$DIGITS" --max-nodes 0
expect_err "is not an integer" "$RESC" compile "$DIGITS" --max-nodes 99999999999
expect_err "needs an argument" "$RESC" compile "$DIGITS" --max-model-bytes
# absurd sizes are errors before any allocation (the default limits)
for m in huge_initializer huge_input expand_huge overflow_dims; do
	expect_err "$H/$m.onnx" "$RESC" compile "$H/$m.onnx" --emit ir -o /dev/null
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
