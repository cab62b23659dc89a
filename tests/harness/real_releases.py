# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Real PrestaShop release trees for the optional `real_releases` tests.

The trees come from outside the repository (nothing of PrestaShop is ever committed here), named by
$PRESTASHOP_RELEASES, which is either
- a git clone, bare or not, of librasoft-fr/prestashop-versions (one tag `vX.Y.Z[.W]` per release), or
- a folder of already extracted releases named `8.1.7`, `v8.1.7` or `prestashop_8.1.7`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

SOURCE_ENV = "PRESTASHOP_RELEASES"
CACHE_ENV = "PRESTASHOP_RELEASES_CACHE"
DEFAULT_BRANCHES = ("1.7.8", "8.0", "8.1", "8.2")

_TAG = re.compile(r"^v?(?P<version>\d+(?:\.\d+){2,3})$")
_FOLDER = re.compile(r"^(?:v|prestashop_)?(?P<version>\d+(?:\.\d+){2,3})$")
# Written last into a cached extraction: a folder without it is a half-finished extraction.
_COMPLETE_MARKER = ".shopfleet-extracted"
_GIT_TIMEOUT = 600


class ReleaseError(RuntimeError):
    """A release source that cannot be read, or a version it does not hold."""


def releases_source() -> Path | None:
    """The release source named by $PRESTASHOP_RELEASES, or None when the variable is unset or empty."""
    value = os.environ.get(SOURCE_ENV, "").strip()
    return Path(value).expanduser() if value else None


def releases_cache() -> Path:
    """Where git extractions are kept between runs: $PRESTASHOP_RELEASES_CACHE, else a folder in the temp dir."""
    value = os.environ.get(CACHE_ENV, "").strip()
    return Path(value).expanduser() if value else Path(tempfile.gettempdir()) / "shopfleet-prestashop-releases"


def version_key(version: str) -> tuple[int, ...]:
    """Numeric sort key: 1.7.8.11 < 8.0.5 < 8.1.10."""
    return tuple(int(part) for part in version.split("."))


def available_versions(source: Path) -> list[str]:
    """Every release version the source holds, oldest first, without any `v` or `prestashop_` prefix."""
    names = _git_tags(source) if is_git_source(source) else _release_folders(source)
    return sorted(names, key=version_key)


def pick_versions(source: Path, branches: tuple[str, ...] = DEFAULT_BRANCHES) -> dict[str, str]:
    """The newest version of each branch the source holds ({"8.1": "8.1.7", ...}); absent branches are left out."""
    picked: dict[str, str] = {}
    for version in available_versions(source):
        for branch in branches:
            if version.startswith(branch + "."):
                picked[branch] = version  # versions come oldest first: the last one seen wins
    return {branch: picked[branch] for branch in branches if branch in picked}


def release_tree(source: Path, version: str) -> Path:
    """A pristine tree of `version` to READ only: the extracted folder itself, or a cached git extraction."""
    if not is_git_source(source):
        return _folder_for(source, version)
    tag = _tag_for(source, version)
    tree_id = _git(source, "rev-parse", "--verify", "--quiet", f"{tag}^{{tree}}").strip()
    # Keyed by the tag's tree id, so two clones (or a moved tag) never share a stale extraction.
    cached = releases_cache() / f"{version}-{tree_id[:12]}"
    if (cached / _COMPLETE_MARKER).is_file():
        return cached
    cached.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=cached.parent))
    try:
        _git_archive(source, tag, staging)
        (staging / _COMPLETE_MARKER).write_text(f"{tag} {tree_id}\n")
        try:
            staging.rename(cached)
        except OSError:
            # Another process finished the same extraction first; theirs is as good as ours.
            if not (cached / _COMPLETE_MARKER).is_file():
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return cached


def extract_release(source: Path, version: str, dest: Path) -> Path:
    """A private copy of `version` at `dest` (created; must not exist or be empty) that the caller may change freely.

    From git it is `git archive | tar`, which is faster than copying a cached tree; from a folder of
    extracted releases it is a copy of that folder.
    """
    if dest.exists() and any(dest.iterdir()):
        raise ReleaseError(f"{dest} is not empty")
    dest.mkdir(parents=True, exist_ok=True)
    if is_git_source(source):
        _git_archive(source, _tag_for(source, version), dest)
    else:
        _copy_tree(_folder_for(source, version), dest)
    return dest


def is_git_source(source: Path) -> bool:
    """True for a git clone (a work tree with .git, or a bare repository); False for a folder of releases."""
    if not source.is_dir():
        raise ReleaseError(f"{source} (${SOURCE_ENV}) is not a directory")
    return (source / ".git").exists() or _is_bare_repository(source)


def _is_bare_repository(path: Path) -> bool:
    return (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()


def _git_base(source: Path) -> list[str]:
    # --git-dir for a bare repository: git's own discovery of bare repositories can be disabled by safe.bareRepository.
    return ["git", "--git-dir", str(source)] if _is_bare_repository(source) else ["git", "-C", str(source)]


def _git(source: Path, *args: str) -> str:
    completed = subprocess.run(_git_base(source) + list(args), capture_output=True, text=True, timeout=_GIT_TIMEOUT, check=False)
    if completed.returncode != 0:
        raise ReleaseError(f"git {' '.join(args)} failed in {source}: {completed.stderr.strip()}")
    return completed.stdout


def _git_tags(source: Path) -> dict[str, str]:
    """{version: tag} for every release tag of the clone."""
    tags: dict[str, str] = {}
    for tag in _git(source, "tag", "--list").split():
        match = _TAG.match(tag)
        if match:
            tags.setdefault(match.group("version"), tag)
    return tags


def _tag_for(source: Path, version: str) -> str:
    tags = _git_tags(source)
    if version not in tags:
        raise ReleaseError(f"{source} has no tag for PrestaShop {version}")
    return tags[version]


def _git_archive(source: Path, tag: str, dest: Path) -> None:
    archive_argv = _git_base(source) + ["archive", "--format=tar", tag]
    with tempfile.TemporaryFile() as archive_errors, tempfile.TemporaryFile() as tar_errors:
        with subprocess.Popen(archive_argv, stdout=subprocess.PIPE, stderr=archive_errors) as archive, \
                subprocess.Popen(["tar", "-x", "-f", "-", "-C", str(dest)], stdin=archive.stdout, stderr=tar_errors) as tar:
            # Only tar reads the pipe now: git gets SIGPIPE if tar dies early instead of blocking forever.
            if archive.stdout is not None:
                archive.stdout.close()
            try:
                tar_rc = tar.wait(timeout=_GIT_TIMEOUT)
                archive_rc = archive.wait(timeout=_GIT_TIMEOUT)
            except subprocess.TimeoutExpired:
                tar.kill()
                archive.kill()
                raise ReleaseError(f"extracting {tag} from {source} took more than {_GIT_TIMEOUT} s") from None
        if archive_rc != 0 or tar_rc != 0:
            archive_errors.seek(0)
            tar_errors.seek(0)
            details = (archive_errors.read() + tar_errors.read()).decode(errors="replace").strip()
            raise ReleaseError(f"extracting {tag} from {source} failed (git rc={archive_rc}, tar rc={tar_rc}): {details}")


def _release_folders(source: Path) -> dict[str, Path]:
    """{version: folder} for every extracted release in the folder."""
    folders: dict[str, Path] = {}
    for entry in sorted(source.iterdir()):
        match = _FOLDER.match(entry.name)
        if match and entry.is_dir():
            folders.setdefault(match.group("version"), entry)
    return folders


def _folder_for(source: Path, version: str) -> Path:
    folders = _release_folders(source)
    if version not in folders:
        raise ReleaseError(f"{source} has no folder for PrestaShop {version} (looked for {version}, v{version}, prestashop_{version})")
    return folders[version]


def _copy_tree(tree: Path, dest: Path) -> None:
    # cp keeps modes, times and symlinks as they are, and is much faster than shutil on 20k+ files.
    completed = subprocess.run(["cp", "-a", "--reflink=auto", "--", f"{tree}/.", str(dest)], capture_output=True, text=True,
                               timeout=_GIT_TIMEOUT, check=False)
    if completed.returncode != 0:
        raise ReleaseError(f"copying {tree} to {dest} failed: {completed.stderr.strip()}")
