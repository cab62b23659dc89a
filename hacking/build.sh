#!/usr/bin/env bash
# Build the collection tarball into .build/dist and check what went into it.
#
# ansible-galaxy ignores .gitignore and packs everything but galaxy.yml's build_ignore, so a missing entry there
# ships local state (venvs, caches, test output, generated secrets) to Galaxy. The tarball may hold only files git
# would commit, plus the MANIFEST.json and FILES.json ansible-galaxy writes.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIST="$REPO_ROOT/.build/dist"
# Never in a release, whatever git says: local environments, caches and ansible-test output.
FORBIDDEN_ENTRY='(^|/)(\.venv|\.build|\.ansible|\.git|\.pytest_cache|__pycache__)(/|$)|^tests/output(/|$)|\.pyc$'

die() { echo "build: ERROR: $*" >&2; exit 1; }

build_tarball() {
    rm -rf "$DIST"
    mkdir -p "$DIST"
    (cd "$REPO_ROOT" && ansible-galaxy collection build --force --output-path "$DIST" . >&2)
    local -a tarballs
    mapfile -t tarballs < <(compgen -G "$DIST/*.tar.gz")
    ((${#tarballs[@]} == 1)) || die "expected one tarball in $DIST, found ${#tarballs[@]}"
    echo "${tarballs[0]}"
}

# Prints the tarball's files (directories end with a slash), without a leading ./
tarball_files() {
    tar -tzf "$1" | grep -v '/$' | sed 's#^\./##' | sort
}

check_tarball() {
    local tarball="$1" entries committable forbidden unexpected
    entries="$(tarball_files "$tarball")"
    [[ -n "$entries" ]] || die "$tarball is empty"

    forbidden="$(grep -E "$FORBIDDEN_ENTRY" <<<"$entries" || true)"
    [[ -z "$forbidden" ]] || die "$tarball contains local state; add it to build_ignore in galaxy.yml:"$'\n'"$forbidden"

    committable="$( (cd "$REPO_ROOT" && git ls-files -co --exclude-standard; printf '%s\n' MANIFEST.json FILES.json) | sort -u)"
    unexpected="$(comm -23 <(echo "$entries") <(echo "$committable"))"
    [[ -z "$unexpected" ]] || die "$tarball contains files git ignores; add them to build_ignore in galaxy.yml:"$'\n'"$unexpected"

    echo "build: $(basename "$tarball"): $(wc -l <<<"$entries") files, nothing ignored by git or galaxy.yml"
}

main() {
    local tarball
    tarball="$(build_tarball)"
    check_tarball "$tarball"
}

main "$@"
