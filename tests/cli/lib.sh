# lib.sh: TAP helpers for closeloop's shell tests, in the spirit of git's
# test-lib: each test runs in a throwaway directory and says ok/not ok.
# Sourced by tests/cli/t*.sh; make check sets top_srcdir and top_builddir.

: "${top_srcdir:?run through make check}"
: "${top_builddir:?run through make check}"

test_count=0
test_failed=0
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/closeloop-test.XXXXXX")
trap 'rm -rf "$TRASH"' EXIT
cd "$TRASH" || exit 99
HOME=$TRASH
export HOME
CLOSELOOP_SYSTEM_CONFIG=
export CLOSELOOP_SYSTEM_CONFIG
unset CLOSELOOP_CONFIG

# closeloop ARGS: the built CLI, under valgrind when CL_VALGRIND is set.
[ -n "$CL_VALGRIND" ] && echo "# closeloop runs under valgrind"

closeloop() {
	if [ -n "$CL_VALGRIND" ]; then
		"$top_builddir/libtool" --mode=execute valgrind -q \
			--error-exitcode=99 --leak-check=full \
			--errors-for-leak-kinds=definite,indirect \
			"$top_builddir/closeloop" "$@"
	else
		"$top_builddir/closeloop" "$@"
	fi
}

# test_expect_success DESCRIPTION 'COMMANDS'
test_expect_success() {
	test_count=$((test_count + 1))
	if (eval "$2") >"$TRASH/out.$test_count" 2>&1; then
		echo "ok $test_count - $1"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $1"
		sed 's/^/# /' "$TRASH/out.$test_count"
	fi
}

# expect_code N COMMAND...: run COMMAND, fail unless it exits N.
expect_code() {
	want=$1
	shift
	"$@"
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "expected exit $want, got $got: $*"
		return 1
	fi
	return 0
}

# contains FILE TEXT: FILE holds the fixed string TEXT.
contains() {
	if ! grep -qF -- "$2" "$1"; then
		echo "'$1' does not contain '$2'; it holds:"
		cat "$1"
		return 1
	fi
}

test_done() {
	echo "1..$test_count"
	[ "$test_failed" -eq 0 ]
}

# hook_libexec: a directory of the hook programs for install-hook, under
# valgrind when CL_VALGRIND is set; exported as CLOSELOOP_LIBEXECDIR.
hook_libexec() {
	mkdir -p "$TRASH/libexec"
	for h in pre-receive post-receive; do
		if [ -n "$CL_VALGRIND" ]; then
			cat >"$TRASH/libexec/closeloop-$h" <<-EOS
			#!/bin/sh
			exec "$top_builddir/libtool" --mode=execute valgrind -q \
				--error-exitcode=99 --leak-check=full \
				--errors-for-leak-kinds=definite,indirect \
				"$top_builddir/closeloop-$h" "\$@"
			EOS
		else
			printf '#!/bin/sh\nexec "%s" "$@"\n' \
				"$top_builddir/closeloop-$h" >"$TRASH/libexec/closeloop-$h"
		fi
		chmod +x "$TRASH/libexec/closeloop-$h"
	done
	CLOSELOOP_LIBEXECDIR=$TRASH/libexec
	export CLOSELOOP_LIBEXECDIR
}

# new_server NAME: a bare repository with closeloop's hooks, and a clone.
new_server() {
	git init -q --bare "$TRASH/$1.git" &&
	closeloop install-hook "$TRASH/$1.git" >/dev/null &&
	git clone -q "$TRASH/$1.git" "$TRASH/$1" 2>/dev/null &&
	git -C "$TRASH/$1" config user.name "Test User" &&
	git -C "$TRASH/$1" config user.email "test@example.com"
}

# commit DIR MESSAGE: a commit with MESSAGE (may hold newlines).
commit() {
	echo "$2" >>"$1/file" &&
	git -C "$1" add file &&
	git -C "$1" commit -q -m "$2"
}

GIT_CONFIG_NOSYSTEM=1
export GIT_CONFIG_NOSYSTEM

# need_redmine: the Redmine of scripts/redmine-test-server, its settings in
# the environment (REDMINE_URL, REDMINE_KEY_FILE...); else skip, or fail
# when CLOSELOOP_REQUIRE_REDMINE is set (CI).
need_redmine() {
	rts="$top_srcdir/scripts/redmine-test-server"
	if ! sh "$rts" status >/dev/null 2>&1; then
		if [ -n "${CLOSELOOP_REQUIRE_REDMINE:-}" ]; then
			echo "not ok 1 - the Redmine test server is not running (sh scripts/redmine-test-server start)"
			echo "1..1"
			exit 1
		fi
		echo "1..0 # SKIP no Redmine running (sh scripts/redmine-test-server start)"
		exit 0
	fi
	eval "$(sh "$rts" env)"
}

# redmine_project IDENT: a new project IDENT with a developer and a support
# user (DEV_ID, DEV_LOGIN, DEV_KEY, SUPPORT_*), after need_redmine; then:
redmine_project() {
	ident=$1
	eval "$(sh "$rts" project "$ident")"
	key=$(cat "$REDMINE_KEY_FILE")
}
# api METHOD PATH [JSON]: the Redmine REST API as admin
api() {
	curl -sS -X "$1" -H "X-Redmine-API-Key: $key" \
		-H "Content-Type: application/json" \
		${3:+--data "$3"} "$REDMINE_URL$2"
}
# new_issue SUBJECT [ASSIGNEE_ID]: prints the new issue's id
new_issue() {
	api POST /issues.json "{\"issue\":{\"project_id\":\"$ident\",\"tracker_id\":3,\"subject\":\"$1\"${2:+,\"assigned_to_id\":$2}}}" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["issue"]["id"])'
}
# notes_of ISSUE: its notes, one per line, "private: " or "public: " first
notes_of() {
	api GET "/issues/$1.json?include=journals" | python3 -c '
import json,sys
for j in json.load(sys.stdin)["issue"]["journals"]:
    if j.get("notes"): print(("private: " if j.get("private_notes") else "public: ") + j["notes"].replace("\n", " "))'
}
