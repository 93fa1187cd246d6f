#!/bin/sh
# Compiling the same model twice with the same flags gives byte-identical
# .o and .h, whatever the thread count (RESC_NUM_THREADS) and the folder.
#   determinism.sh RESC WORK MODEL...
set -u
RESC=$1; WORK=$2; shift 2
rm -rf "$WORK"; mkdir -p "$WORK"
pass=0; fail=0
for m in "$@"; do
	i=0
	for t in 1 2 7; do
		i=$((i+1)); d="$WORK/$i"; mkdir -p "$d"
		if ! RESC_NUM_THREADS=$t "$RESC" compile "$m" -o "$d/net.o"; then
			echo "FAIL: compile of $m failed"; fail=$((fail+1)); continue 2
		fi
	done
	for k in 2 3; do
		for f in net.o net.h; do
			if cmp "$WORK/1/$f" "$WORK/$k/$f"; then pass=$((pass+1)); else
				echo "FAIL: $m: $f differs between runs 1 and $k"; fail=$((fail+1)); fi
		done
	done
	echo "$m: $(wc -c < "$WORK/1/net.o") byte object, 3 compiles identical"
	rm -rf "$WORK"/[0-9]
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
