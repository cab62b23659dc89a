# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make demo`: a throwaway MariaDB, a demo fleet of three synthetic shops and a demo release; the check, then the upgrade.

One shop's database makes the upgrade fail on purpose: the upgrade role rolls it back by itself, the others are
upgraded, and the fleet summary says what happened.

Nothing outside a temporary folder is touched; the server stops and the folder goes at the end (--keep keeps the
folder, with the inventory and reports, for a look afterwards).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "tests"))

from harness.ansible import run_playbook  # noqa: E402  (the harness lives under tests/)
from harness.mariadb import MariaDB  # noqa: E402
from harness.release import build_migrations, build_release  # noqa: E402
from harness.shops import build_shop  # noqa: E402

# name: (code version, options for the shop builder, what the demo wants to show with it)
DEMO_FLEET = {
    "shop-paris": ("8.1.5", {}, "a healthy single shop: the canary of the rollout"),
    "shop-lyon": ("8.0.5", {"shop_names": ["Lyon", "Lyon outlet"], "shops_in_maintenance": [2]}, "a multistore, one of its shops in maintenance"),
    "shop-nantes": ("8.1.5", {}, "a shop whose database makes the 8.1.7 migration fail, on purpose"),
}
FAILING_SHOP = "shop-nantes"
TARGET = "8.1.7"


def build_fleet(workdir: Path, server: MariaDB) -> Path:
    lines = ["[prestashop]"]
    for number, (name, (version, options, _purpose)) in enumerate(DEMO_FLEET.items(), start=1):
        shop = build_shop(workdir / "shops" / name, server, version, name=f"demo{number}", seed=number, **options)
        if name == FAILING_SHOP:
            # The demo release's migrations read this switch and fail at the target, as a real SQL error would.
            shop.fail_migration_at(TARGET)
        lines.append(f"{name} prestashop_root={shop.root} ansible_connection=local ansible_python_interpreter={sys.executable}")
    inventory = workdir / "inventory.ini"
    inventory.write_text("\n".join(lines) + "\n")
    return inventory


def run(title: str, playbook: str, inventory: Path, extra_vars: Path, workdir: Path) -> int:
    print(f"\n$ ansible-playbook shopfleet.prestashop.{playbook} -i inventory.ini -e @demo-vars.json   # {title}", flush=True)
    completed = run_playbook(f"shopfleet.prestashop.{playbook}", inventory=inventory, extra_vars_file=extra_vars, workdir=workdir, timeout=1800)
    (workdir / f"{playbook}.log").write_text(completed.stdout + completed.stderr)
    recap = completed.stdout[completed.stdout.rfind("PLAY RECAP"):] if "PLAY RECAP" in completed.stdout else completed.stdout[-3000:]
    print(f"(full output in {workdir / (playbook + '.log')}; the recap:)\n{recap.rstrip()}")
    return completed.returncode


def show(reports: Path, kind: str) -> bool:
    markdown = reports / f"{kind}-latest.md"
    if not markdown.exists():
        print(f"No {kind} summary was written: see the full output above.", file=sys.stderr)
        return False
    print(f"\nThe fleet summary ({markdown.relative_to(reports.parent)}):\n")
    print(markdown.read_text())
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the demo folder (inventory, shops, reports)")
    options = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="shopfleet-demo-"))
    reports = workdir / "reports"
    print(f"Demo folder: {workdir}")
    try:
        with MariaDB(workdir / "db") as server:
            print(f"Started a throwaway MariaDB {server.version} on {server.host}:{server.port}")
            inventory = build_fleet(workdir, server)
            for name, (version, _options, purpose) in DEMO_FLEET.items():
                print(f"Built {name}: PrestaShop {version} ({purpose})")
            release = build_release(workdir / "release", TARGET)
            migrations = build_migrations(workdir / "release" / "upgrade")
            print(f"Built a demo release {TARGET} ({release.zip_path.name}) and its database migrations")
            extra_vars = workdir / "demo-vars.json"
            extra_vars.write_text(json.dumps({
                "upgrade_target_version": TARGET, "upgrade_archive": str(release.zip_path), "upgrade_migrations_src": str(migrations),
                "upgrade_workspace": str(workdir / "workspace"), "upgrade_report_dir": str(reports),
                # The demo shops are not served over HTTP and have no internet: no page checks, no language packs.
                "upgrade_health_check": False, "upgrade_language_packs": "skip",
            }, indent=2))

            if run("the dry run: what would happen, nothing changes", "check", inventory, extra_vars, workdir) != 0 or not show(reports, "check"):
                return 1
            upgrade_exit = run("the upgrade: a canary, then batches; a failed shop is rolled back", "upgrade", inventory, extra_vars, workdir)
            if not show(reports, "upgrade"):
                return 1
        rows = {row["shop"]: row for row in json.loads((reports / "upgrade-latest.json").read_text())["shops"]}
        print("What happened, in plain words:")
        print("\n".join(explain(rows)))
        expected = all(rows[name]["result"].startswith("success") for name in DEMO_FLEET if name != FAILING_SHOP) \
            and rows[FAILING_SHOP]["result"] == "failed_rolled_back" and upgrade_exit != 0
        if not expected:
            print("The demo did not go as planned: see the output above.", file=sys.stderr)
            return 1
        return 0
    finally:
        if options.keep:
            print(f"\nKept {workdir} (inventory.ini, shops/, workspace/, reports/, check.log, upgrade.log); the database server is stopped.")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def explain(rows: dict[str, dict[str, Any]]) -> list[str]:
    words = []
    for name, row in rows.items():
        if row["result"].startswith("success"):
            words.append(f"- {name} went from {row['from']} to {row['to']} in {row['duration_s']} s. Its files and database were "
                         f"backed up first (backup {row['backup']}); the report is in its workspace.")
        elif row["result"] == "failed_rolled_back":
            words.append(f"- {name}: {row['failed_step']} failed ({row['error']}). The role restored its files and database from "
                         f"backup {row['backup']} and gave it back to its customers as it was; its logs were fetched to "
                         f"reports/logs/{name}/. Ansible marks the host failed (exit code non-zero) so that a rollout stops there.")
        else:
            words.append(f"- {name}: {row['result']}.")
    return words


if __name__ == "__main__":
    sys.exit(main())
