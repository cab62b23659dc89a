#!/usr/bin/env bash
# Run `ansible-test sanity` on a copy of the collection that holds exactly the files git would commit.
#
# ansible-test needs the collection at a physical ansible_collections/NAMESPACE/NAME path, and it lints every
# file its source provider lists. The copy under .build/sanity gets the tracked and the untracked-but-not-ignored
# files (git ls-files -co --exclude-standard), so a new file is checked before anyone commits it while .venv,
# .ansible and other ignored output never are.
#
# The copy has no .git of its own; ANSIBLE_TEST_CONTENT_ROOT stops ansible-test from walking up to the checkout's
# .git (which ignores .build and would list nothing), so it takes every file of the copy as content.
#
# Usage: hacking/sanity.sh [extra ansible-test sanity arguments, e.g. --test pep8]
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO_ROOT/.venv"
SANITY_COPY="$REPO_ROOT/.build/sanity/ansible_collections/shopfleet/prestashop"
# Managed hosts may run any of these; compile and import run once per interpreter found on PATH.
TARGET_PYTHONS=(3.9 3.10 3.11 3.12 3.13)

sync_copy() {
    local files path
    local -A wanted=()
    files="$(mktemp)"
    # Tracked files deleted from the work tree are still listed by git; they do not belong in the copy.
    while IFS= read -r -d '' path; do
        if [[ -e "$REPO_ROOT/$path" || -L "$REPO_ROOT/$path" ]]; then
            wanted["$path"]=1
            printf '%s\0' "$path"
        fi
    done < <(git -C "$REPO_ROOT" ls-files -co --exclude-standard -z) >"$files"
    mkdir -p "$SANITY_COPY"
    rsync -a --from0 --files-from="$files" "$REPO_ROOT/" "$SANITY_COPY/"
    rm -f "$files"

    # rsync --delete does not apply to a --files-from list: drop what is no longer listed (deleted, renamed or
    # now ignored files), but keep ansible-test's own tests/output.
    while IFS= read -r -d '' path; do
        path="${path#./}"
        [[ -n "${wanted[$path]:-}" ]] || rm -f -- "$SANITY_COPY/$path"
    done < <(cd "$SANITY_COPY" && find . -path ./tests/output -prune -o \( -type f -o -type l \) -print0)
    find "$SANITY_COPY" -mindepth 1 -type d -empty -not -path "$SANITY_COPY/tests/output*" -delete
}

# Adds the bin directory of the newest pyenv build of each target Python to PATH, so that ansible-test's
# compile and import tests cover every version a managed host may have.
add_target_pythons_to_path() {
    local root version bin
    root="$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")"
    for version in "${TARGET_PYTHONS[@]}"; do
        command -v "python$version" >/dev/null && "python$version" -c '' 2>/dev/null && continue
        bin="$(compgen -G "$root/versions/$version.*/bin" | sort -V | tail -n 1 || true)"
        if [[ -n "$bin" && -x "$bin/python$version" ]]; then
            PATH="$PATH:$bin"
        fi
    done
    export PATH
}

main() {
    sync_copy
    export PATH="$VENV/bin:$PATH"
    add_target_pythons_to_path
    export ANSIBLE_TEST_CONTENT_ROOT="$SANITY_COPY"
    cd "$SANITY_COPY"
    # Without --python every test runs on the venv's Python, and compile and import on each target Python found.
    ansible-test sanity --venv "$@"
}

main "$@"
