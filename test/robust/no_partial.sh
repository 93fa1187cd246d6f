#!/bin/sh
# A compile that fails late leaves no output behind: no OUT.o without its
# OUT.h, no temporaries, no half-written file.
#   no_partial.sh RESC DIGITS_MODEL WORK
set -u
RESC=$1; M=$2; WORK=$3
pass=0; fail=0
fresh() { rm -rf "$WORK"; mkdir -p "$WORK"; }
# expect_clean WHAT ALLOWED CMD...: exit 1, one line, WORK holds only ALLOWED
expect_clean() {
	what=$1; allowed=$2; shift 2
	err=$("$@" 2>&1 >/dev/null); rc=$?
	left=$(ls -A "$WORK" | tr '\n' ' ' | sed 's/ $//')
	lines=$(printf '%s\n' "$err" | grep -c '')
	if [ $rc -eq 1 ] && [ "$lines" -eq 1 ] && [ "$left" = "$allowed" ]; then
		pass=$((pass+1)); echo "ok   $what: $err"
	else
		echo "FAIL $what: exit $rc, left [$left] (allowed [$allowed]): $err"; fail=$((fail+1))
	fi
}

# the header is written last: make it impossible (OUT.h is a folder)
fresh; mkdir "$WORK/net.h"
expect_clean "header fails after the object" "net.h" "$RESC" compile "$M" -o "$WORK/net.o"
# the backend fails (unknown target)
fresh
expect_clean "backend fails" "" "$RESC" compile "$M" -o "$WORK/net.o" --target nonsense-unknown-none
# the link of --emit shared fails
fresh
expect_clean "shared link fails" "" env CC=false "$RESC" compile "$M" --emit shared -o "$WORK/net.so"
# the constant store after the IR cannot be written
fresh; mkdir "$WORK/net.ir.consts"
expect_clean "constant store fails after the IR" "net.ir.consts" "$RESC" compile "$M" --emit ir -o "$WORK/net.ir"
# out of memory late in the compile (the last counted allocation)
fresh
n=$(RESC_FAIL_ALLOC_AT=999999999999 RESC_FAULT_REPORT=1 "$RESC" compile "$M" -o "$WORK/net.o" 2>&1 >/dev/null |
	sed -n 's/^resc: fault injection: \([0-9]*\) allocations counted$/\1/p')
fresh
expect_clean "out of memory at the last allocation ($n)" "" env RESC_FAIL_ALLOC_AT="$n" "$RESC" compile "$M" -o "$WORK/net.o"
# a previous good output is replaced only by a complete new one
fresh
"$RESC" compile "$M" -o "$WORK/net.o" && cp "$WORK/net.o" "$WORK/old.o"
err=$("$RESC" compile "$M" -o "$WORK/net.o" --target nonsense-unknown-none 2>&1)
if cmp -s "$WORK/net.o" "$WORK/old.o"; then pass=$((pass+1)); echo "ok   old output untouched by a failed compile"
else fail=$((fail+1)); echo "FAIL old output changed by a failed compile: $err"; fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
