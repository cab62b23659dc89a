# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark (issue #9): playbooks/upgrade.yml over real SSH on a synthetic fleet, then its no-op rerun.

    .venv/bin/python bench/bench_fleet.py [--shops 10,25,50] [--forks 5,10,20] [--machines 2] [--no-pipelining]
                                          [--batch 1,100%] [--steps 12]

For every (shops, forks) pair: fresh synthetic 8.1.5 shops (files + database on one private MariaDB) owned by the
deploy user of a private sshd (tests/harness/sshfleet.py) on `--machines` loopback addresses, shops spread over
them; the 8.1.7 release served by a local HTTP mirror and downloaded once on the controller (upgrade_download_on:
controller), the harness migrations (PHP callbacks that really run) on the hosts, health checks off (no web server).
The controller runs from a copy of the collection. Measured per run: wall time, wall time per shop, controller CPU
(user + system of ansible-playbook and every process it started: forks, ssh clients, the controller-side modules)
and the peak RSS of the largest of them; the host side (sshd, python modules, php) is not in the CPU column. Time per
step: each host's task durations (bench/callback_plugins/shopfleet_task_times.py), summed over the shops (the sum
of a step over the fleet, not wall time: forks run them side by side). Builds take time too (about a second a shop); they are not measured.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from harness.ansible import run_playbook  # noqa: E402  (needs the sys.path entry above)
from harness.httpserver import HttpServer  # noqa: E402
from harness.mariadb import MariaDB  # noqa: E402
from harness.release import MIGRATION_VERSIONS, build_migrations, build_release  # noqa: E402
from harness.shops import Shop, build_shop  # noqa: E402
from harness.sshfleet import SshFleet, chown_tree, controller_collection, sshd_missing_reason  # noqa: E402

FROM, TO = "8.1.5", "8.1.7"
TIMER_PLUGINS = REPO / "bench" / "callback_plugins"


@dataclass
class Run:
    """One ansible-playbook run: what it cost on the controller and how long each task took per host."""

    wall: float
    cpu: float
    peak_rss_mb: float
    ok: bool
    changed_hosts: int
    step_seconds: dict[str, float]


def release_mirror(folder: Path, server: HttpServer) -> str:
    """The release, its checksum list and a release list pointing at the mirror; returns the release list's URL."""
    release = build_release(folder, TO)
    releases = [{"version": TO, "stability": "stable", "php_min_version": "7.2.5", "php_max_version": "8.4",
                 "zip_download_url": server.url(release.zip_path.name), "xml_download_url": server.url(release.checksum_xml.name),
                 "zip_md5": hashlib.md5(release.zip_path.read_bytes()).hexdigest()}]
    (folder / "releases.json").write_text(json.dumps(releases))
    return server.url("releases.json")


def build_fleet(server: MariaDB, fleet: SshFleet, count: int, label: str) -> dict[str, Shop]:
    base = fleet.home / label
    base.mkdir(mode=0o700)
    shops = {f"shop{number:03d}": build_shop(base / f"shop{number:03d}", server, FROM, name=f"{label}_{number}") for number in range(1, count + 1)}
    chown_tree(base, fleet.user)
    return shops


def steps_from_timer(path: Path) -> dict[str, float]:
    """Seconds per task name, summed over the hosts, from the shopfleet_task_times callback's JSON lines."""
    totals: dict[str, float] = collections.defaultdict(float)
    if path.exists():
        for line in path.read_text().splitlines():
            entry = json.loads(line)
            totals[entry["task"]] += entry["seconds"]
    return dict(totals)


def recap_changed(stdout: str) -> int:
    return sum(1 for line in stdout.splitlines() if " changed=" in line and " ok=" in line and " changed=0 " not in line)


def timed_upgrade(playbook: Path, inventory: Path, variables: Path, env: dict[str, str], forks: int, workdir: Path) -> Run:
    times = workdir / f"task-times-{time.monotonic_ns()}.jsonl"
    run_env = {**env, "ANSIBLE_CALLBACK_PLUGINS": str(TIMER_PLUGINS), "ANSIBLE_CALLBACKS_ENABLED": "shopfleet_task_times",
               "SHOPFLEET_TASK_TIMES": str(times)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    completed = run_playbook(playbook, inventory=inventory, extra_vars_file=variables, forks=forks, env=run_env, workdir=workdir, timeout=7200)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        print(completed.stdout[-4000:], file=sys.stderr)
    return Run(wall=wall, cpu=(after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), peak_rss_mb=after.ru_maxrss / 1024,
               ok=completed.returncode == 0, changed_hosts=recap_changed(completed.stdout), step_seconds=steps_from_timer(times))


def bench_one(count: int, forks: int, context: dict[str, Any]) -> tuple[Run, Run]:
    fleet: SshFleet = context["fleet"]
    label = f"f{count}x{forks}"
    shops = build_fleet(context["server"], fleet, count, label)
    work = context["work"] / label
    work.mkdir()
    inventory = fleet.inventory(work / "inventory.json", {name: {"prestashop_root": str(shop.root)} for name, shop in shops.items()})
    variables = work / "vars.json"
    variables.write_text(json.dumps({
        "upgrade_target_version": TO, "upgrade_metadata_url": context["metadata_url"], "upgrade_download_on": "controller",
        "upgrade_controller_cache": str(context["work"] / "cache"), "upgrade_migrations_src": str(context["migrations"]),
        "upgrade_workspace": str(fleet.home / label / "ws"), "upgrade_report_dir": str(work / "reports"), "upgrade_health_check": False,
        "upgrade_language_packs": "skip", "upgrade_batch": context["batch"]}))
    playbook = context["collections"] / "ansible_collections/shopfleet/prestashop/playbooks/upgrade.yml"
    try:
        first = timed_upgrade(playbook, inventory, variables, context["env"], forks, work)
        again = timed_upgrade(playbook, inventory, variables, context["env"], forks, work)
    finally:
        for shop in shops.values():
            context["server"].drop_database(shop.db["name"])
        shutil.rmtree(fleet.home / label, ignore_errors=True)
    return first, again


def print_tables(results: list[tuple[int, int, Run, Run]], steps: int, options: argparse.Namespace) -> None:
    print(f"\nplaybooks/upgrade.yml {FROM} -> {TO} over SSH, {options.machines} machines, pipelining {'on' if options.pipelining else 'off'}, "
          f"serial {options.batch}, {os.cpu_count()} CPUs\n")
    header = "| shops | forks | run     | ok  | changed | wall s | s/shop | ctrl CPU s | ctrl peak RSS MB |"
    print(header)
    print("|" + "|".join("-" * len(cell) for cell in header.split("|")[1:-1]) + "|")
    for count, forks, first, again in results:
        for label, run in (("upgrade", first), ("rerun", again)):
            print(f"| {count:>5} | {forks:>5} | {label:<7} | {'yes' if run.ok else 'NO':<3} | {run.changed_hosts:>7} | {run.wall:>6.1f} | "
                  f"{run.wall / count:>6.2f} | {run.cpu:>10.1f} | {run.peak_rss_mb:>16.0f} |")
    for count, forks, first, again in results:
        print(f"\nslowest steps, {count} shops, forks {forks}: seconds summed over the shops (upgrade / rerun), per shop")
        ranked = sorted(first.step_seconds.items(), key=lambda item: -item[1])[:steps]
        for name, seconds in ranked:
            print(f"  {seconds:>8.1f} / {again.step_seconds.get(name, 0.0):>7.1f}  {seconds / count:>6.2f}  {name}")
        total = sum(first.step_seconds.values())
        print(f"  {total:>8.1f} / {sum(again.step_seconds.values()):>7.1f}  {total / count:>6.2f}  (all {len(first.step_seconds)} tasks)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shops", default="10,25", help="fleet sizes, comma separated (default: 10,25)")
    parser.add_argument("--forks", default="5,10", help="ansible forks, comma separated (default: 5,10)")
    parser.add_argument("--machines", type=int, default=2, help="sshd addresses the shops are spread over (default: 2)")
    parser.add_argument("--no-pipelining", dest="pipelining", action="store_false", help="ANSIBLE_PIPELINING off")
    parser.add_argument("--batch", default="1,100%", help="upgrade_batch (serial): a canary then the rest by default")
    parser.add_argument("--steps", type=int, default=12, help="slowest steps listed per run (default: 12)")
    options = parser.parse_args()
    reason = sshd_missing_reason()
    if reason:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2
    sizes = [int(size) for size in options.shops.split(",")]
    forks_list = [int(forks) for forks in options.forks.split(",")]
    results = []
    with tempfile.TemporaryDirectory(prefix="sf-bench-") as tmp:
        work = Path(tmp)
        os.chmod(work, 0o700)
        (work / "mirror").mkdir()
        with MariaDB(work / "db") as server, SshFleet(work / "sshd", machines=options.machines) as fleet, HttpServer(work / "mirror") as mirror:
            migrations = build_migrations(fleet.home / "autoupgrade", MIGRATION_VERSIONS)
            chown_tree(fleet.home / "autoupgrade", fleet.user)
            collections_path = controller_collection(work / "controller")
            context = {"server": server, "fleet": fleet, "work": work, "migrations": migrations, "collections": collections_path,
                       "metadata_url": release_mirror(work / "mirror", mirror), "env": fleet.ansible_env(options.pipelining, collections_path),
                       "batch": options.batch.split(",")}
            for count in sizes:
                for forks in forks_list:
                    print(f"{count} shops, forks {forks} ...", file=sys.stderr)
                    first, again = bench_one(count, forks, context)
                    results.append((count, forks, first, again))
                    print(f"  upgrade {first.wall:.1f} s, rerun {again.wall:.1f} s", file=sys.stderr)
    print_tables(results, options.steps, options)
    return 0 if all(first.ok and again.ok for _count, _forks, first, again in results) else 1


if __name__ == "__main__":
    sys.exit(main())
