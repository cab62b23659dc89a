# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""upgrade_db after and before the migrations: language packs (a real HTTP server, an unreachable one, a local folder)
and the 8.1 API keys in parameters.php."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import stat
import zipfile
from pathlib import Path
from typing import Any

from harness.ansible import run_module
from harness.httpserver import HttpServer
from harness.release import MIGRATION_VERSIONS, build_migrations

LOCALES = ("en-US", "fr-FR", "ja-JP")
PARAMETERS = "app/config/parameters.php"


def build_pack(path: Path, locale: str, version: str) -> Path:
    """A Symfony translation pack as the service publishes it: <locale>/<Domain>.xlf entries."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as pack:
        for domain in ("AdminActions", "ShopNotificationsSuccess"):
            pack.writestr(f"{locale}/{domain}.xlf", f'<?xml version="1.0"?>\n<xliff version="1.2"><!-- {locale} {domain} {version} --></xliff>\n')
    return path


def service_tree(root: Path, version: str) -> Path:
    """A mirror of the translation service: <version>/<locale>/<locale>.zip."""
    for locale in LOCALES:
        build_pack(root / version / locale / f"{locale}.zip", locale, version)
    return root


def upgrade(shop: Any, tmp_path: Path, check: bool = False, **options: Any) -> dict[str, Any]:
    arguments = {"shop_root": str(shop.root), "workspace": str(tmp_path / "ws"), "migrations": str(tmp_path / "module" / "upgrade"),
                 "target_version": "8.1.7", **options}
    return run_module("upgrade_db", arguments, check=check, diff=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def parameters_of(shop: Any) -> dict[str, Any]:
    """parameters.php as PHP reads it."""
    return json.loads(shop.run_php("echo json_encode((require 'app/config/parameters.php')['parameters']);"))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_packs_come_from_the_translation_service_and_a_shop_with_both_api_keys_keeps_them(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5", ps_version_db="8.1.5")
    build_migrations(tmp_path / "module", MIGRATION_VERSIONS)
    parameters_before = sha256(shop.root / PARAMETERS)
    with HttpServer(service_tree(tmp_path / "service", "8.1.7")) as server:
        base = server.url("").rstrip("/")

        planned = upgrade(shop, tmp_path, check=True, language_packs_url=base)
        assert [(pack["locale"], pack["status"]) for pack in planned["language_packs"]] == [(locale, "would install") for locale in LOCALES]
        assert planned["language_packs"][1]["source"] == f"{base}/8.1.7/fr-FR/fr-FR.zip"
        assert not (shop.root / "translations" / "fr-FR").exists() and server.requests == []

        done = upgrade(shop, tmp_path, language_packs_url=base)
        assert done["changed"] is True and not done.get("warnings"), done.get("msg") or done.get("warnings")
        assert [(pack["locale"], pack["status"], pack["files_written"]) for pack in done["language_packs"]] == \
            [(locale, "installed", 3) for locale in LOCALES]
        assert "fr-FR AdminActions 8.1.7" in (shop.root / "translations" / "fr-FR" / "AdminActions.xlf").read_text()
        assert zipfile.is_zipfile(shop.root / "translations" / "sf-ja-JP.zip")
        assert shop.config_value("PS_VERSION_DB") == "8.1.7"
        assert [request["path"] for request in server.requests if request.get("method", "GET") == "GET"] == \
            [f"8.1.7/{locale}/{locale}.zip" for locale in LOCALES]
        assert done["api_keys"] == "kept" and sha256(shop.root / PARAMETERS) == parameters_before

        again = upgrade(shop, tmp_path, language_packs_url=base)
        assert again["changed"] is False and again["language_packs"] == [] and len(server.requests) == 3


def test_an_unreachable_service_warns_with_the_retry_command_and_a_local_folder_finishes(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5", ps_version_db="8.1.5")
    build_migrations(tmp_path / "module", MIGRATION_VERSIONS)
    nowhere = f"http://127.0.0.1:{free_port()}/translations"

    offline = upgrade(shop, tmp_path, language_packs_url=nowhere)
    assert offline["changed"] is True, offline.get("msg")
    assert shop.config_value("PS_VERSION_DB") == "8.1.7"
    assert [pack["status"] for pack in offline["language_packs"]] == ["failed"] * 3
    warning = " ".join(offline["warnings"])
    assert "language packs not installed for en-US (en), fr-FR (fr), ja-JP (ja)" in warning and "complete without them" in warning
    assert f"shopfleet.prestashop.upgrade_db -a 'shop_root={shop.root} target_version=8.1.7 language_packs_src=" in warning
    state = json.loads((tmp_path / "ws").glob("*/journals/language_packs-8.1.7.json").__next__().read_text())
    assert [entry["locale"] for entry in state["pending"]] == list(LOCALES)

    # The local folder holds the shop's cache names for two locales and a service mirror for the third.
    packs = tmp_path / "packs"
    build_pack(packs / "sf-en-US.zip", "en-US", "8.1.7")
    build_pack(packs / "fr-FR.zip", "fr-FR", "8.1.7")
    build_pack(packs / "8.1.7" / "ja-JP" / "ja-JP.zip", "ja-JP", "8.1.7")
    planned = upgrade(shop, tmp_path, check=True, language_packs_src=str(packs))
    assert planned["changed"] is True and [pack["source"] for pack in planned["language_packs"]] == \
        [str(packs / "sf-en-US.zip"), str(packs / "fr-FR.zip"), str(packs / "8.1.7" / "ja-JP" / "ja-JP.zip")]
    assert not (shop.root / "translations" / "en-US" / "AdminActions.xlf").exists()

    retried = upgrade(shop, tmp_path, language_packs_src=str(packs))
    assert retried["changed"] is True and not retried.get("warnings"), retried.get("warnings")
    assert [pack["status"] for pack in retried["language_packs"]] == ["installed"] * 3
    assert (shop.root / "translations" / "ja-JP" / "ShopNotificationsSuccess.xlf").is_file()

    settled = upgrade(shop, tmp_path, language_packs_src=str(packs))
    assert settled["changed"] is False and settled["language_packs"] == []


def test_an_8_0_shop_upgraded_to_8_1_gets_api_keys_once_and_keeps_them(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.0.5", ps_version_db="8.0.5")
    build_migrations(tmp_path / "module", MIGRATION_VERSIONS)
    parameters = shop.root / PARAMETERS
    os.chmod(parameters, 0o640)
    before = parameters.read_text()
    values_before = parameters_of(shop)
    assert "api_public_key" not in values_before

    planned = upgrade(shop, tmp_path, check=True, language_packs="skip")
    assert planned["api_keys"] == "would generate" and parameters.read_text() == before
    assert planned["diff"]["before"]["api_keys"] == {"api_public_key": "(absent)", "api_private_key": "(absent)"}
    assert "not shown" in planned["diff"]["after"]["api_keys"]["api_private_key"]

    done = upgrade(shop, tmp_path, language_packs="skip")
    assert done["changed"] is True and done["api_keys"] == "generated", done.get("msg")
    assert shop.config_value("PS_VERSION_DB") == "8.1.7"
    values = parameters_of(shop)
    public, private = values.pop("api_public_key"), values.pop("api_private_key")
    assert public.startswith("-----BEGIN PUBLIC KEY-----") and private.startswith("-----BEGIN PRIVATE KEY-----")
    assert values == values_before, "every other parameter is kept"
    assert "PRIVATE KEY" not in json.dumps(done) and "PRIVATE KEY" not in done.output
    assert stat.S_IMODE(parameters.stat().st_mode) == 0o640
    generated = parameters.read_bytes()

    again = upgrade(shop, tmp_path, language_packs="skip")
    assert again["changed"] is False and again["api_keys"] == "kept"
    assert parameters.read_bytes() == generated
