#!/bin/sh
# Every hostile model: `resc compile --emit ir` must exit 1 with exactly one
# line "resc: error: <file>: <what>" on stderr (or succeed, for the models
# expected.txt marks ok), never crash, and finish within 20 s.
set -u
RESC=$1; DIR=$2
pass=0; fail=0
while read -r name expect; do
	case "$name" in ''|'#'*) continue ;; esac
	f="$DIR/$name"
	[ -e "$f" ] || { echo "missing $f"; fail=$((fail+1)); continue; }
	err=$(timeout 20 "$RESC" compile "$f" --emit ir -o /dev/null 2>&1 >/dev/null)
	rc=$?
	lines=$(printf '%s' "$err" | grep -c '' || true)
	if [ "$expect" = ok ]; then
		[ $rc -eq 0 ] && { pass=$((pass+1)); continue; }
	elif [ "$expect" = '*' ] && [ $rc -eq 0 ]; then
		pass=$((pass+1)); continue
	elif [ $rc -eq 1 ] && [ "$lines" -eq 1 ] && printf '%s' "$err" | grep -q "^resc: error: $f: "; then
		pass=$((pass+1)); continue
	fi
	echo "FAIL $name (exit $rc): $err"
	fail=$((fail+1))
done < "$DIR/expected.txt"
echo "hostile models through the CLI: $pass passed, $fail failed"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
