# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: backup_files vs `tar -c | gzip -1`, `zip -r -1` and `tar -c | zstd -1`; rollback_files on a tree that did
not change and on one where 500 files changed.

    .venv/bin/python bench/bench_files.py [--size small|full] [--keep] [--runs N]

full: ~50,000 files, ~2 GB (46k PHP-like text files, 4k incompressible .jpg of 65-580 kB), the issue's size;
small: a tenth of it (a smoke run, under a minute). Data goes to /work/bench-data/files and is deleted at the end
unless --keep. The modules run as Ansible runs them on a host (python module.py args.json), without
ansible-playbook's start-up. Commands run --runs times, interleaved, on a warm page cache; the table shows median
wall times, MB/s of input, archive size, peak RSS of the whole process tree (GNU time), and ratios against
`tar -c | gzip -1`. Target: backup_files within 1.2x of tar+gzip, peak RSS < 200 MB. backup_files also hashes every
file, writes the index and fsyncs what it wrote; the standard tools do none of that.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = Path("/work/bench-data/files")
SIZES = {"small": (4_600, 400), "full": (46_000, 4_000)}
WORDS = ("shop", "cart", "order", "product", "category", "customer", "module", "hook", "price", "tax", "carrier", "stock", "<?php",
         "function", "return", "array", "public", "static", "$this->", "Configuration::get", "=>", "{", "}", ";", "\n    ", "\n")
CHANGED = 500


def make_shop(root: Path, texts: int, binaries: int) -> int:
    """A tree shaped like a shop: modules and classes of PHP-ish text, product images that do not compress."""
    rng = random.Random(11)
    vocabulary = " ".join(rng.choice(WORDS) + rng.choice(("", "Core", "Shop", str(rng.randrange(100)))) for _word in range(400_000)).encode()
    total = 0
    for index in range(texts):
        folder = root / ("modules" if index % 3 else "classes") / f"m{index % 300:03d}" / f"src{(index // 300) % 20}"
        folder.mkdir(parents=True, exist_ok=True)
        size = min(int(rng.expovariate(1 / 16000)) + 200, len(vocabulary) - 1)
        start = rng.randrange(len(vocabulary) - size)
        (folder / f"File{index}.php").write_bytes(vocabulary[start:start + size])
        total += size
    for index in range(binaries):
        folder = root / "img/p" / str(index % 10) / str((index // 10) % 10)
        folder.mkdir(parents=True, exist_ok=True)
        content = os.urandom(int(rng.uniform(0.2, 1.8) * 320_000))
        (folder / f"{index}-large_default.jpg").write_bytes(content)
        total += len(content)
    (root / "src/Core").mkdir(parents=True, exist_ok=True)
    (root / "src/Core/Version.php").write_text("<?php\nfinal class Version\n{\n    public const VERSION = '8.1.5';\n")
    (root / "admin123abcdefghijkl/themes/new-theme").mkdir(parents=True, exist_ok=True)
    for name in ("index.php", "functions.php", "get-file-admin.php"):
        (root / "admin123abcdefghijkl" / name).write_text("<?php\n")
    (root / "var/cache/prod").mkdir(parents=True, exist_ok=True)
    (root / "var/cache/prod/appParameters.php").write_text("<?php return [];\n")
    return total


def timed(argv: list[str], shell: bool = False, env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (kB, the largest process of the tree, GNU time) and stdout."""
    with tempfile.NamedTemporaryFile() as rss_file:
        command = ["/usr/bin/time", "-f", "%M", "-o", rss_file.name] + (["bash", "-o", "pipefail", "-c", argv[0]] if shell else argv)
        start = time.perf_counter()
        completed = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
        wall = time.perf_counter() - start
        if completed.returncode != 0:
            raise SystemExit(f"{argv} failed: {completed.stderr.strip()[-2000:]}")
        rss = int(Path(rss_file.name).read_text().strip().splitlines()[-1])
    return wall, rss, completed.stdout


def module_command(module: str, args: dict[str, object], workdir: Path) -> list[str]:
    args_file = workdir / f"{module}-{time.monotonic_ns()}.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    return [sys.executable, str(REPO / "plugins/modules" / f"{module}.py"), str(args_file)]


def run_module(module: str, args: dict[str, object], workdir: Path, env: dict[str, str]) -> tuple[float, int, dict[str, object]]:
    wall, rss, out = timed(module_command(module, args, workdir), env=env)
    result = json.loads(out)
    if result.get("failed"):
        raise SystemExit(f"{module} failed: {result.get('msg')}")
    return wall, rss, result


def change_files(root: Path, count: int, seed: int) -> None:
    """What an upgrade does to a tree: rewrite some files, remove some, add some."""
    rng = random.Random(seed)
    chosen = rng.sample(sorted((root / "classes").rglob("File*.php")), count * 4 // 5)
    for path in chosen[:count * 3 // 5]:
        with open(path, "ab") as handle:
            handle.write(b"\n// upgraded\n")
    for path in chosen[count * 3 // 5:]:
        path.unlink()
    for index in range(count - len(chosen)):
        (root / "classes" / f"Added{seed}_{index}.php").write_text("<?php // new in the upgrade\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--keep", action="store_true")
    options = parser.parse_args()
    missing = [tool for tool in ("tar", "gzip", "zip", "zstd") if not shutil.which(tool)]
    if missing or not Path("/usr/bin/time").exists():
        raise SystemExit(f"needs tar, gzip, zip, zstd and GNU time (/usr/bin/time); missing: {', '.join(missing) or 'time'}")
    root = DATA / options.size / "shop"
    out = DATA / options.size / "out"
    texts, binaries = SIZES[options.size]
    if not (root.parent / ".complete").exists():
        shutil.rmtree(root.parent, ignore_errors=True)
        root.mkdir(parents=True)
        print(f"writing {texts + binaries} files to {root} ...", file=sys.stderr)
        make_shop(root, texts, binaries)
        (root.parent / ".complete").write_text("")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    total_bytes = sum(path.stat().st_size for path in root.rglob("*") if path.is_file())
    files = sum(1 for path in root.rglob("*") if path.is_file())
    env = dict(os.environ, PYTHONPATH=str(REPO / ".build" / "collections"))
    workspace = out / "ws"

    def ours(compression: str) -> list[str]:
        shutil.rmtree(workspace, ignore_errors=True)
        return module_command("backup_files", {"shop_root": str(root), "workspace": str(workspace), "name": "bench", "compression": compression}, out)

    commands = {
        "backup_files (zstd, auto)": (lambda: ours("zstd"), False, "archive.tar.zst"),
        "backup_files (gzip)": (lambda: ours("gzip"), False, "archive.tar.gz"),
        "tar -c | gzip -1": (lambda: [f"tar -cf - -C {root} . | gzip -1 > {out}/tree.tar.gz"], True, "tree.tar.gz"),
        "zip -r -1": (lambda: [f"cd {root} && zip -q -r -1 {out}/tree.zip ."], True, "tree.zip"),
        "tar -c | zstd -1": (lambda: [f"tar -cf - -C {root} . | zstd -q -1 -T0 > {out}/tree.tar.zst"], True, "tree.tar.zst"),
    }
    timed([f"tar -cf - -C {root} . > /dev/null"], shell=True)  # warm the page cache
    walls: dict[str, list[float]] = {name: [] for name in commands}
    rss: dict[str, int] = dict.fromkeys(commands, 0)
    sizes: dict[str, int] = {}
    for _run in range(options.runs):
        for name, (argv, shell, produced) in commands.items():
            wall, peak, _stdout = timed(argv(), shell=shell, env=env)
            walls[name].append(wall)
            rss[name] = max(rss[name], peak)
            found = list(out.rglob(produced))
            sizes[name] = found[0].stat().st_size
            for path in found:
                path.unlink()

    # Rollbacks need a backup to restore: one made with the default compression.
    shutil.rmtree(workspace, ignore_errors=True)
    run_module("backup_files", {"shop_root": str(root), "workspace": str(workspace), "name": "bench"}, out, env)
    rollback_args = {"shop_root": str(root), "workspace": str(workspace), "name": "bench"}
    rollbacks: dict[str, list[float]] = {"rollback_files, nothing changed": [], f"rollback_files, {CHANGED} files changed": []}
    for name in rollbacks:
        rss[name] = 0
    for run in range(options.runs):
        wall, peak, result = run_module("rollback_files", rollback_args, out, env)
        assert result["changed"] is False, result
        rollbacks["rollback_files, nothing changed"].append(wall)
        rss["rollback_files, nothing changed"] = max(rss["rollback_files, nothing changed"], peak)
        change_files(root, CHANGED, seed=run)
        wall, peak, result = run_module("rollback_files", rollback_args, out, env)
        counts = result["counts"]
        assert counts["files"] + counts["deleted"] == CHANGED, counts  # type: ignore[index]
        rollbacks[f"rollback_files, {CHANGED} files changed"].append(wall)
        rss[f"rollback_files, {CHANGED} files changed"] = max(rss[f"rollback_files, {CHANGED} files changed"], peak)

    medians = {name: statistics.median(values) for name, values in walls.items()}
    reference = medians["tar -c | gzip -1"]
    print(f"\nbackup of {files} files, {total_bytes / 1e6:.0f} MB ({options.size}), median of {options.runs} runs, {os.cpu_count()} CPUs\n")
    header = f"| {'command':<36} | {'wall s':>7} | {'MB/s':>6} | {'archive MB':>10} | {'ratio':>5} | {'peak RSS MB':>11} | {'vs tar+gzip':>11} |"
    print(header)
    print("|" + "|".join("-" * len(cell) for cell in header.split("|")[1:-1]) + "|")
    for name, wall in medians.items():
        print(f"| {name:<36} | {wall:>7.2f} | {total_bytes / 1e6 / wall:>6.0f} | {sizes[name] / 1e6:>10.0f} | {sizes[name] / total_bytes:>5.2f} | "
              f"{rss[name] / 1024:>11.1f} | {wall / reference:>10.2f}x |")
    for name, values in rollbacks.items():
        wall = statistics.median(values)
        print(f"| {name:<36} | {wall:>7.2f} | {'':>6} | {'':>10} | {'':>5} | {rss[name] / 1024:>11.1f} | {'':>11} |")
    ratio = medians["backup_files (zstd, auto)"] / reference
    gzip_ratio = medians["backup_files (gzip)"] / reference
    peak = max(rss[name] for name in list(commands)[:2] + list(rollbacks)) / 1024
    print(f"\ntarget: backup_files within 1.2x of tar -c | gzip -1 -> zstd {ratio:.2f}x, gzip {gzip_ratio:.2f}x "
          f"{'OK' if max(ratio, gzip_ratio) <= 1.2 else 'MISSED'}; peak RSS {peak:.0f} MB {'OK' if peak < 200 else 'MISSED'} "
          "(this machine is shared: compare runs made together)")
    shutil.rmtree(out, ignore_errors=True)
    if not options.keep:
        shutil.rmtree(root.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
