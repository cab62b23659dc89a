# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make demo`: a throwaway MariaDB, a demo fleet of three synthetic shops, and the collection's playbooks over them.

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

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "tests"))

from harness.ansible import run_playbook  # noqa: E402  (the harness lives under tests/)
from harness.mariadb import MariaDB  # noqa: E402
from harness.shops import build_shop  # noqa: E402

# name: (code version, options for the shop builder, what the demo wants to show with it)
DEMO_FLEET = {
    "shop-paris": ("8.1.5", {}, "a healthy single shop"),
    "shop-lyon": ("8.0.5", {"shop_names": ["Lyon", "Lyon outlet"], "shops_in_maintenance": [2]}, "a multistore, one shop in maintenance"),
    "shop-nantes": ("8.1.5", {"ps_version_db": "8.1.3"}, "code and database disagree (the upgrade FAQ's PS_VERSION_DB error)"),
}


def build_fleet(workdir: Path, server: MariaDB) -> Path:
    lines = ["[prestashop]"]
    for number, (name, (version, options, _purpose)) in enumerate(DEMO_FLEET.items(), start=1):
        shop = build_shop(workdir / "shops" / name, server, version, name=f"demo{number}", seed=number, **options)
        lines.append(f"{name} prestashop_root={shop.root} ansible_connection=local ansible_python_interpreter={sys.executable}")
    inventory = workdir / "inventory.ini"
    inventory.write_text("\n".join(lines) + "\n")
    return inventory


def explain(rows: list[dict]) -> list[str]:
    """What the table says, in plain words."""
    words = []
    for row in rows:
        name = row["shop"]
        if row.get("problem"):
            words.append(f"- {name}: could not be read: {row['problem']}")
        elif row.get("matches") is False:
            words.append(f"- {name}: its code is {row['version']} but its database says {row['db_version']}. PrestaShop's "
                         "upgrade refuses such a shop; the database has to be brought to the code's version first.")
        elif row.get("maintenance"):
            words.append(f"- {name}: {row['version']}, {row['shops']} shops; in maintenance: {', '.join(row['maintenance'])}.")
        else:
            words.append(f"- {name}: {row['version']}, code and database agree, open to customers.")
    return words


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the demo folder (inventory, shops, reports)")
    options = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="shopfleet-demo-"))
    reports = workdir / "reports"
    reports.mkdir()
    print(f"Demo folder: {workdir}")
    try:
        with MariaDB(workdir / "db") as server:
            print(f"Started a throwaway MariaDB {server.version} on {server.host}:{server.port}")
            inventory = build_fleet(workdir, server)
            for name, (version, _options, purpose) in DEMO_FLEET.items():
                print(f"Built {name}: PrestaShop {version} ({purpose})")
            extra_vars = workdir / "demo-vars.json"
            extra_vars.write_text(json.dumps({"fleet_info_report_dir": str(reports)}))
            print("\n$ ansible-playbook shopfleet.prestashop.fleet_info -i inventory.ini\n", flush=True)
            completed = run_playbook("shopfleet.prestashop.fleet_info", inventory=inventory, extra_vars_file=extra_vars, workdir=workdir)
            print(completed.stdout + completed.stderr)
            if completed.returncode != 0 or not (reports / "fleet-info.json").exists():
                print(f"The playbook failed (exit {completed.returncode}).", file=sys.stderr)
                return 1
        rows = json.loads((reports / "fleet-info.json").read_text())
        print("The fleet, as written to reports/fleet-info.md:\n")
        print((reports / "fleet-info.md").read_text())
        print("What it means:")
        print("\n".join(explain(rows)))
        return 0
    finally:
        if options.keep:
            print(f"\nKept {workdir} (inventory.ini, shops/, reports/); the database server is stopped.")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
