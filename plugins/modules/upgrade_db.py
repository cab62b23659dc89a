#!/usr/bin/python
# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: upgrade_db
short_description: Run PrestaShop's database migrations from PS_VERSION_DB to the target (the UpgradeDb step)
version_added: 0.1.0
description:
  - Runs the SQL migration files of PrestaShop's upgrade from the database version (C(PS_VERSION_DB)) to the
    target version, selected and ordered exactly as PrestaShop does it; PHP's C(version_compare) selects a file
    when its name is above the database version and not above the target, and the natural, case-insensitive order
    of the names runs them (so C(8.1.7) runs before C(8.1.7-catchup)).
  - C(PREFIX_), C(ENGINE_TYPE) and C(DB_NAME) are replaced, files are split into statements where PrestaShop
    splits them, a C(CREATE TABLE) is preceded by C(DROP TABLE IF EXISTS) and MySQL errors 1050, 1054, 1060, 1061,
    1062 and 1091 are warnings, all as in PrestaShop.
  - The PHP callbacks that files name in comments starting with C(/* PHP:) run in ONE PHP process per run, with the
    shop bootstrapped (C(config/config.inc.php), the back-office constants and, where the shop has one, its Symfony
    kernel).
  - Every applied statement is recorded in a journal in the shop's workspace
    (C(journals/upgrade_db-<from>-<to>.json)); a failure stops with the file, the statement and the error, and the
    next run resumes at that statement.
  - Before the migrations, for a target of 8.1.0 or later, C(api_public_key) and C(api_private_key) (RSA 2048 PEM)
    are added to C(app/config/parameters.php) when one of them is missing, as the upgrade module does before it boots
    an 8.1 kernel. A shop that has both keeps them (the official module regenerates them by mistake). The keys are
    made by the shop's PHP (C(openssl_pkey_new), as PrestaShop does) and the file is rewritten atomically the way
    PrestaShop writes it (C(var_export)), its owner and mode kept, after checking that every other parameter reads
    back unchanged.
  - After the migrations, what PrestaShop does next, minus what is listed in the notes; the language packs (see
    O(language_packs)), the recurrent queries, caches emptied, obsolete XML lists removed. C(PS_VERSION_DB) is set
    to the target LAST, only when everything succeeded (the official module sets it even after errors).
author:
  - shopfleet developers (@shopfleet)
extends_documentation_fragment:
  - shopfleet.prestashop._shop
  - shopfleet.prestashop._db
  - shopfleet.prestashop._attributes
options:
  migrations:
    description:
      - Where the migration files are. A folder like the upgrade module's C(upgrade/) (with C(sql/) and C(php/)),
        a folder holding such an C(upgrade/) folder, a release tree (its C(install/upgrade), up to 1.7.8), or a
        C(.zip), C(.tar.gz) or C(.tar) archive of any of them (only its C(sql/) and C(php/) files are extracted, to
        the module's temporary folder).
      - Defaults to C(install/upgrade) of the release unzipped in the workspace for the target
        (C(releases/<target>/release)) when it has one.
    type: path
  target_version:
    description:
      - The version to migrate to. Defaults to the version the shop's files declare (after the files were upgraded, for
        example by M(shopfleet.prestashop.upgrade_files)).
    type: str
  install_dir:
    description:
      - The target release's C(install/) folder, for the callbacks that read installer data (C(_PS_INSTALL_PATH_)).
      - Defaults to the C(install/) folder next to the migrations when they come from a release tree, else the one
        of the release unzipped in the workspace, when it exists.
    type: path
  callback_errors:
    description:
      - What a callback returning V(false) or C(['error' => ...]) does. V(fail) stops the run there (the journal
        resumes at that callback); V(warn) records a warning and goes on, as the official module does.
      - With V(warn), C(PS_VERSION_DB) is still set to the target at the end.
    type: str
    choices: [fail, warn]
    default: fail
  boot_kernel:
    description:
      - Whether the PHP runner boots the shop's Symfony kernel (C(AdminKernel) or C(AppKernel)) after
        C(config/config.inc.php), as the upgrade module does for 8.x callbacks that use Symfony services.
      - V(auto) boots it when the shop has a concrete kernel class; V(always) fails when it cannot; V(never) skips it.
    type: str
    choices: [auto, always, never]
    default: auto
  php:
    description: The PHP CLI binary that runs the callbacks (the same PHP as the shop's).
    type: str
    default: php
  clear_cache:
    description:
      - Empty the shop's caches (C(var/cache), C(app/cache), C(cache/smarty)) before the first callback and again after
        the migrations. The old version's class indexes are removed before the callbacks whatever this says.
    type: bool
    default: true
  regenerate_htaccess:
    description:
      - Regenerate the shop's C(.htaccess) through the shop's own C(Tools::generateHtaccess()) after the migrations, as
        the upgrade does (PrestaShop keeps what is outside its markers). A failure is a warning.
    type: bool
    default: true
  schema_update:
    description:
      - Run the shop's C(bin/console prestashop:schema:update-without-foreign) (the Doctrine schema update) after the
        migrations. The official module does not run it for 8.x upgrades; it also alters the tables of modules that
        declare Doctrine entities, hence off by default. A failure is a warning naming the command to retry.
    type: bool
    default: false
  language_packs:
    description:
      - What to do with the language packs after the migrations. V(update) installs, for each active language, the
        translation pack of the target version the way PrestaShop does after an upgrade (the pack is cached as
        C(translations/sf-<locale>.zip) and extracted into C(translations/); files with the same content are not
        rewritten). V(skip) leaves the translations as they are.
      - A pack that cannot be had (offline, HTTP error, not a zip) is a warning naming the command to retry; the
        upgrade itself completes and C(PS_VERSION_DB) reaches the target. The languages still pending are kept in
        the workspace (C(journals/language_packs-<target>.json)), and running the module again once the database is at
        the target installs only those.
    type: str
    choices: [update, skip]
    default: update
  language_packs_src:
    description:
      - A local folder holding the packs, for shops without access to PrestaShop's translation service. For each
        locale, the first of C(sf-<locale>.zip) (the name of PrestaShop's own cache in C(translations/)),
        C(<locale>.zip), or C(<target>/<locale>/<locale>.zip) (a mirror of the service) is used.
      - When set, the translation service is not contacted.
    type: path
  language_packs_url:
    description:
      - Base URL of the translation service; a pack is fetched from C(<base>/<target>/<locale>/<locale>.zip), as
        PrestaShop's C(Language::SF_LANGUAGE_PACK_URL) builds it.
      - Defaults to C(https://i18n.prestashop-project.org/translations) (C(https://i18n.prestashop.com/translations)
        for 1.7 targets), as the target's core uses.
    type: str
  workspace:
    description:
      - Root of the workspaces on the host; the journal is in the shop's folder inside it.
      - Defaults to C(/var/lib/shopfleet) as root, C(~/.local/share/shopfleet) otherwise.
    type: path
attributes:
  check_mode:
    support: full
    details:
      - Lists the files and statements that would run (resuming where a journal says a run stopped), the language
        packs that would be fetched and from where, and whether API keys would be generated; writes nothing, not
        even the workspace folder.
  diff_mode:
    support: full
    details:
      - C(PS_VERSION_DB) before and after, and the migration files that run; C(api_keys) when keys are generated
        (the keys themselves are never shown).
notes:
  - Not done by this module yet; the mail templates the upgrade module regenerates for each language (unless it keeps
    the mails), and the separate mails pack of 1.7 targets.
  - PHP-FPM caches C(parameters.php) in its opcache; with C(opcache.validate_timestamps=0) reload PHP-FPM after
    the keys were added.
  - PHP runs only for the callbacks; plain SQL goes through PyMySQL.
  - A SQL error other than the six PrestaShop tolerates always stops the run.
  - The callbacks run in the shop's own PHP and so reach the database its C(app/config/parameters.php) names; the
    O(db_host) and other C(db_*) options only change how this module's own connection reaches it.
  - A run killed while a statement or callback was running applies that one statement again on the next run (the
    journal is saved after each one); the SET statements of a resumed file are replayed first.
"""

EXAMPLES = r"""
- name: Migrate the database with the upgrade module's scripts
  shopfleet.prestashop.upgrade_db:
    shop_root: /var/www/shop
    migrations: /srv/prestashop/autoupgrade/upgrade
    target_version: 8.2.1

- name: Offline shop; language packs from a local folder (sf-<locale>.zip files)
  shopfleet.prestashop.upgrade_db:
    shop_root: /var/www/shop
    migrations: /srv/prestashop/autoupgrade/upgrade
    target_version: 8.1.7
    language_packs_src: /srv/prestashop/translations/8.1.7

- name: What would run (files and statements)
  shopfleet.prestashop.upgrade_db:
    shop_root: /var/www/shop
    migrations: /srv/prestashop/autoupgrade-v7.zip
  check_mode: true
  register: planned
"""

RETURN = r"""
from_version:
  description: C(PS_VERSION_DB) before the run.
  returned: success
  type: str
  sample: 8.1.5
target_version:
  description: The version migrated to.
  returned: success
  type: str
  sample: 8.1.7
ps_version_db:
  description: C(PS_VERSION_DB) after the run (predicted in check mode).
  returned: success
  type: str
  sample: 8.1.7
migrations:
  description:
    - Each selected file, in run order, with its number of statements and callbacks, the statements already
      applied by an earlier run, and those applied by this run. In check mode, C(pending) lists the
      statements that would run (each cut to 300 characters).
  returned: success
  type: list
  elements: dict
  sample: [{"name": "8.1.7", "statements": 12, "callbacks": 3, "already_applied": 0, "applied": 12}]
warnings_sql:
  description: Statements that failed with an error PrestaShop tolerates (and, with O(callback_errors=warn), failed callbacks).
  returned: success
  type: list
  elements: dict
  sample: [{"file": "8.1.7", "index": 4, "code": 1060, "error": "Duplicate column name 'x'"}]
pre_steps:
  description:
    - What was removed before the first callback booted the shop - the class indexes and caches the old version built,
      which the new code would otherwise load.
  returned: when migrations ran
  type: dict
  sample: {"files_removed": ["var/cache/prod/class_index.php"], "cache_entries_removed": 12}
post_steps:
  description: What ran after the migrations (recurrent queries, files removed, cache entries removed, C(.htaccess), Doctrine schema).
  returned: success
  type: dict
  sample: {"recurrent_queries": 4, "cache_entries_removed": 42, "files_removed": ["config/xml/modules_list.xml"], "htaccess": "regenerated",
           "schema_update": "not asked"}
language_packs:
  description:
    - One entry per language whose pack was handled by this run, with where it came from, the number of files written
      and its status (V(installed), V(unchanged), V(failed) with an C(error), V(would install) in check mode).
  returned: success
  type: list
  elements: dict
  sample: [{"iso": "fr", "locale": "fr-FR", "source": "https://i18n.prestashop-project.org/translations/8.1.7/fr-FR/fr-FR.zip",
            "status": "installed", "files_written": 212}]
api_keys:
  description:
    - What the 8.1 API key step did; V(not needed) (target below 8.1.0), V(kept) (both keys present), V(generated),
      V(would generate) (check mode), or C(no app/config/parameters.php).
  returned: success
  type: str
  sample: kept
journal:
  description: Path of the journal of this upgrade.
  returned: success
  type: str
  sample: /var/lib/shopfleet/var-www-shop-1a2b3c4d/journals/upgrade_db-8.1.5-8.1.7.json
php:
  description: What the PHP runner reported when it booted the shop, when a callback ran.
  returned: when a callback ran
  type: dict
  sample: {"php": "8.2.26", "ps_version": "8.1.7", "kernel": "booted AppKernel"}
duration_s:
  description: Seconds the module took.
  returned: success
  type: float
  sample: 2.5
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.shopfleet.prestashop.plugins.module_utils._db import DbError
from ansible_collections.shopfleet.prestashop.plugins.module_utils._dbupgrade import run, upgrade_argument_spec
from ansible_collections.shopfleet.prestashop.plugins.module_utils._langpacks import langpacks_argument_spec
from ansible_collections.shopfleet.prestashop.plugins.module_utils._migrations import MigrationError
from ansible_collections.shopfleet.prestashop.plugins.module_utils._shop import ShopError, shop_argument_spec
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import WorkspaceError


def create_module() -> AnsibleModule:
    argument_spec = shop_argument_spec()
    argument_spec.update(upgrade_argument_spec())
    argument_spec.update(langpacks_argument_spec())
    return AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)


def main() -> None:
    started = time.monotonic()
    module = create_module()
    try:
        result = run(module)
    except (ShopError, DbError, WorkspaceError, MigrationError) as exc:
        module.fail_json(msg=str(exc))
    if not module._diff:
        result.pop("diff")
    result.setdefault("duration_s", round(time.monotonic() - started, 3))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
