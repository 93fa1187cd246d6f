#!/bin/sh
# Builds guard.c against a compiled model and runs it at 1 and 2 threads,
# then once under valgrind's memcheck where valgrind is installed.
#   guard.sh BIN SRC WORK MODEL
set -eu
BIN=$1; SRC=$2; WORK=$3; MODEL=$4
rm -rf "$WORK"; mkdir -p "$WORK"
"$BIN/resc" compile "$MODEL" -o "$WORK/net.o" --name net --cpu x86-64-v3
cc -O1 -g -I"$WORK" "$SRC/test/robust/guard.c" "$WORK/net.o" $("$BIN/resc" config --cflags --libs) -o "$WORK/guard"
RESC_NUM_THREADS=1 "$WORK/guard"
RESC_NUM_THREADS=2 "$WORK/guard"
if [ "${RESC_SANITIZED:-0}" = 1 ]; then
	# the runtime and this program carry ASan, which valgrind cannot run;
	# the regular build (make test) runs the valgrind part
	echo "ASan build: the guard pages and ASan checked the run; valgrind is for the regular build"
elif command -v valgrind >/dev/null 2>&1; then
	RESC_NUM_THREADS=2 valgrind -q --error-exitcode=9 "$WORK/guard" >"$WORK/vg.txt" 2>&1 || {
		cat "$WORK/vg.txt"; echo "FAIL: valgrind"; exit 1; }
	echo "valgrind memcheck: clean"
else
	echo "valgrind not installed: skipped that part"
fi
