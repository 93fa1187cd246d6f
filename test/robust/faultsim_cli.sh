#!/bin/sh
# Allocation-failure injection through the CLI (RESC_FAIL_ALLOC_AT=N), walked
# across a compile, in the manner of SQLite's do_faultsim_test:
#
#   faultsim_cli.sh RESC WORK MODEL [EMIT [DENSE]]
#
# First counts the allocations a compile of MODEL makes (RESC_FAULT_REPORT),
# then compiles again failing allocation N, for N = 1..DENSE (default 150)
# and then every STRIDE-th N up to the count plus the last one, so the walk
# reaches the passes and the backend at a bounded cost.  Every run must exit
# 1 with exactly one line "resc: error: MODEL: ...out of memory..." on
# stderr, within 60 s, and leave no output file (OUT.o, OUT.h, temporaries).
set -u
RESC=$1; WORK=$2; MODEL=$3; EMIT=${4:-obj}; DENSE=${5:-150}
rm -rf "$WORK"; mkdir -p "$WORK"
out="$WORK/net.o"

count=$(RESC_FAIL_ALLOC_AT=999999999999 RESC_FAULT_REPORT=1 "$RESC" compile "$MODEL" --emit "$EMIT" \
	-o "$out" 2>&1 >/dev/null | sed -n 's/^resc: fault injection: \([0-9]*\) allocations counted$/\1/p')
if [ -z "$count" ] || [ "$count" -lt 1 ]; then
	echo "FAIL: could not count the allocations of a compile of $MODEL"
	exit 1
fi
rm -rf "$WORK"; mkdir -p "$WORK"
stride=$(( (count - DENSE) / 60 ))
[ $stride -lt 1 ] && stride=1
echo "$MODEL --emit $EMIT: $count counted allocations; walking 1..$DENSE, then every $stride"

pass=0; fail=0; n=1
while [ $n -le "$count" ]; do
	err=$(RESC_FAIL_ALLOC_AT=$n timeout 60 "$RESC" compile "$MODEL" --emit "$EMIT" -o "$out" 2>&1 >/dev/null)
	rc=$?
	lines=$(printf '%s\n' "$err" | grep -c '')
	left=$(ls -A "$WORK")
	if [ $rc -eq 1 ] && [ "$lines" -eq 1 ] && [ -z "$left" ] &&
	   printf '%s' "$err" | grep -q "^resc: error: $MODEL: .*out of memory"; then
		pass=$((pass+1))
	else
		echo "FAIL N=$n: exit $rc, $lines line(s), left [$left]: $err"
		fail=$((fail+1))
		rm -rf "$WORK"; mkdir -p "$WORK"
		[ $fail -ge 10 ] && break
	fi
	if [ $n -lt "$DENSE" ] || [ $n -eq "$count" ]; then
		n=$((n+1))
	else
		n=$((n+stride))
		[ $n -gt "$count" ] && n=$count
	fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
