#!/usr/bin/env bash
# Prepare this machine for `make test`: Debian packages, the .venv, ansible-test's offline pip bootstrap and the
# ansible_collections path. Every step checks first and does nothing when its result is already there, so a second
# run is quiet and takes a second or two.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO_ROOT/.venv"
REQUIREMENTS="$REPO_ROOT/requirements-dev.txt"
REQUIREMENTS_STAMP="$VENV/.requirements-dev.sha256"
GET_PIP_SHIM="$REPO_ROOT/hacking/get_pip_shim.py"
GET_PIP_CACHE="$HOME/.ansible/test/cache"
COLLECTION_LINK="$REPO_ROOT/.build/collections/ansible_collections/shopfleet/prestashop"

# The harness runs a private MariaDB and real PHP; zstd/zip/unzip pack and unpack release archives and backups.
# git and rsync build the sanity copy, shellcheck lets the sanity test of that name run instead of skipping;
# python3-venv is what a Debian python3.11 needs for `-m venv`. openssh-server and sudo run the SSH test fleet
# (tests/harness/sshfleet.py); python3-pymysql and python3-requests are what the modules need in the python3 of a
# shop host (PyMySQL; requests for shop_health).
APT_PACKAGES=(
    mariadb-server mariadb-client
    php-cli php-mysql php-xml php-intl php-gd php-zip php-curl php-mbstring php-bcmath
    zip unzip zstd
    git rsync python3-venv shellcheck
    openssh-server sudo python3-pymysql python3-requests
)

# ansible-core 2.20 and later need Python 3.12; 3.11 is the fallback and gets the last core that supports it.
PYTHON311_CORE_SPEC='ansible-core>=2.19,<2.20'

say() { echo "bootstrap: $*"; }
die() { echo "bootstrap: ERROR: $*" >&2; exit 1; }

missing_apt_packages() {
    local installed
    installed="$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${APT_PACKAGES[@]}" 2>/dev/null | awk '$1 == "ii" { print $2 }' || true)"
    local package
    for package in "${APT_PACKAGES[@]}"; do
        grep -qxF "$package" <<<"$installed" || echo "$package"
    done
}

ensure_apt_packages() {
    local missing
    mapfile -t missing < <(missing_apt_packages)
    ((${#missing[@]})) || return 0

    local sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null || die "missing Debian packages (${missing[*]}) and not root: install them first"
        sudo=(sudo)
    fi
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
}

pyenv_root() {
    if command -v pyenv >/dev/null; then
        pyenv root
    else
        echo "${PYENV_ROOT:-$HOME/.pyenv}"
    fi
}

runs() { "$@" -c 'import sys' >/dev/null 2>&1; }

# Prints the interpreter to build the venv from: the newest pyenv 3.12, any python3.12, else python3.11.
choose_python() {
    local candidate
    local -a pyenv_pythons=()
    mapfile -t pyenv_pythons < <(compgen -G "$(pyenv_root)/versions/3.12.*/bin/python3.12" | sort -V -r)
    for candidate in "${pyenv_pythons[@]}" python3.12 python3.11; do
        if runs "$candidate"; then
            command -v "$candidate"
            return 0
        fi
    done
    die "no Python 3.12 (pyenv or PATH) and no python3.11 found"
}

python_version() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])'; }

ensure_venv() {
    if [[ -x "$VENV/bin/python" ]] && runs "$VENV/bin/python"; then
        return 0
    fi
    local python
    python="$(choose_python)"
    say "creating $VENV with $python ($(python_version "$python"))"
    rm -rf "$VENV"
    "$python" -m venv "$VENV"
}

ensure_requirements() {
    local -a extra=()
    if [[ "$(python_version "$VENV/bin/python")" == 3.11 ]]; then
        extra=("$PYTHON311_CORE_SPEC")
    fi
    local wanted
    wanted="$( (cat "$REQUIREMENTS"; printf '%s\n' "${extra[@]}") | sha256sum | cut -d' ' -f1)"
    if [[ -f "$REQUIREMENTS_STAMP" && "$(cat "$REQUIREMENTS_STAMP")" == "$wanted" ]]; then
        return 0
    fi
    say "installing requirements-dev.txt ${extra[*]} into $VENV"
    "$VENV/bin/python" -m pip install --disable-pip-version-check --quiet --quiet -r "$REQUIREMENTS" "${extra[@]}"
    echo "$wanted" >"$REQUIREMENTS_STAMP"
}

# The pip versions ansible-test pins for its --venv bootstrap, read from its source: get_venv_packages() in
# _internal/python_requirements.py has `pip='25.2'` as default and per-Python overrides in the same form.
ansible_test_pip_versions() {
    local -a sources
    mapfile -t sources < <(compgen -G "$VENV/lib/python3.*/site-packages/ansible_test/_internal/python_requirements.py")
    ((${#sources[@]})) || die "ansible-test is not installed in $VENV"
    grep -ohE "pip='[0-9][0-9.]*'" "${sources[@]}" | cut -d"'" -f2 | sort -u
}

# ansible-test would download get-pip-<version>.py unless ~/.ansible/test/cache/get_pip_<version with _>.py exists.
ensure_get_pip_shims() {
    local -a versions
    mapfile -t versions < <(ansible_test_pip_versions)
    ((${#versions[@]})) || die "could not find the pip version ansible-test pins; has get_venv_packages() changed?"
    mkdir -p "$GET_PIP_CACHE"
    local version target
    for version in "${versions[@]}"; do
        target="$GET_PIP_CACHE/get_pip_${version//./_}.py"
        # A failed download leaves an empty .download file; it is harmless but misleading when debugging.
        [[ -s "$target.download" ]] || rm -f "$target.download"
        if [[ -f "$target" ]] && ! grep -q 'shopfleet offline get-pip shim' "$target"; then
            continue # a real get-pip.py fetched on a connected machine works offline too
        fi
        if ! cmp -s "$GET_PIP_SHIM" "$target"; then
            say "installing the offline get-pip shim as $target"
            cp "$GET_PIP_SHIM" "$target"
        fi
    done
}

ensure_collection_link() {
    # Relative, so the link survives moving or copying the checkout.
    if [[ -L "$COLLECTION_LINK" && "$(cd "$COLLECTION_LINK" 2>/dev/null && pwd -P)" == "$(cd "$REPO_ROOT" && pwd -P)" ]]; then
        return 0
    fi
    mkdir -p "$(dirname "$COLLECTION_LINK")"
    rm -rf "$COLLECTION_LINK"
    ln -s ../../../.. "$COLLECTION_LINK"
}

main() {
    ensure_apt_packages
    ensure_venv
    ensure_requirements
    ensure_get_pip_shims
    ensure_collection_link
}

main "$@"
