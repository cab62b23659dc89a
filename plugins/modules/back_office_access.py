#!/usr/bin/python
# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: back_office_access
short_description: Restore a back-office profile's access to pages after an upgrade
version_added: 0.1.0
description:
  - The upgrade FAQ's "I lost access to some back-office pages". A page is reachable by a profile when a row
    (profile, role) exists for the page's C(authorization_role) slug. Tab roles live in C(access), module roles
    (C(ROLE_MOD_MODULE_*)) in C(module_access).
  - Ensures those rows exist for a profile, for slugs given by name or by SQL C(LIKE) pattern, or for every slug
    another profile can reach.
  - Also reports the slugs that no profile at all can reach, the usual trace of an upgrade that added pages
    without granting them.
author:
  - shopfleet developers (@shopfleet)
extends_documentation_fragment:
  - shopfleet.prestashop._shop
  - shopfleet.prestashop._db
  - shopfleet.prestashop._attributes
options:
  profile:
    description:
      - The profile to grant, by id or by name (in any language). V(1) is SuperAdmin.
    type: str
    required: true
  slugs:
    description:
      - Slugs to grant, each an exact slug (C(ROLE_MOD_TAB_ADMINSECURITY_READ)) or a C(LIKE) pattern
        (C(ROLE_MOD_TAB_%_READ)). Patterns are matched case-insensitively like MySQL does.
    type: list
    elements: str
    default: []
  mirror:
    description:
      - Another profile (id or name) whose access this profile gets too, in addition to O(slugs).
    type: str
attributes:
  check_mode:
    support: full
    details:
      - Lists the rows that would be added; writes nothing.
  diff_mode:
    support: full
    details:
      - The slugs the profile can reach, before and after.
notes:
  - Only adds rows. Idempotent; a second run adds nothing. A slug given by exact name that does not exist is an error,
    a pattern that matches nothing is a warning.
"""

EXAMPLES = r"""
- name: Give SuperAdmin back every back-office page (the FAQ's fix)
  shopfleet.prestashop.back_office_access:
    shop_root: /var/www/shop
    profile: "1"
    slugs:
      - ROLE_MOD_TAB_%

- name: Let the logisticians read the new security page
  shopfleet.prestashop.back_office_access:
    shop_root: /var/www/shop
    profile: Logistician
    slugs:
      - ROLE_MOD_TAB_ADMINSECURITY_READ

- name: Give the "Support" profile everything "Salesman" can do
  shopfleet.prestashop.back_office_access:
    shop_root: /var/www/shop
    profile: Support
    mirror: Salesman
"""

RETURN = r"""
profile:
  description: The profile granted.
  returned: success
  type: dict
  sample: {"id": 2, "name": "Logistician"}
added:
  description: Slugs granted by this run (would be, in check mode), tab roles and module roles together.
  returned: success
  type: list
  elements: str
  sample: ["ROLE_MOD_TAB_ADMINSECURITY_READ"]
unreachable_slugs:
  description: Slugs that no profile can reach after the run.
  returned: success
  type: list
  elements: str
  sample: ["ROLE_MOD_TAB_ADMINNEWPAGE_DELETE"]
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.shopfleet.prestashop.plugins.module_utils._db import QUERY_ERRORS, DbError, connect, fetch_all, query_error_message, require_pymysql
from ansible_collections.shopfleet.prestashop.plugins.module_utils._shop import (
    ShopError,
    db_overrides,
    db_params,
    inspect_files,
    read_parameters,
    shop_argument_spec,
    table,
)

MODULE_ROLE_PREFIX = "ROLE_MOD_MODULE_"
_LIKE_CHARACTERS = ("%", "_")


def create_module() -> AnsibleModule:
    argument_spec = shop_argument_spec()
    argument_spec.update(
        profile={"type": "str", "required": True},
        slugs={"type": "list", "elements": "str", "default": []},
        mirror={"type": "str"},
    )
    return AnsibleModule(argument_spec=argument_spec, supports_check_mode=True, required_one_of=[("slugs", "mirror")])


def access_table(slug: str) -> str:
    """PrestaShop keeps module roles in module_access and every other role in access."""
    return "module_access" if slug.upper().startswith(MODULE_ROLE_PREFIX) else "access"


def is_pattern(slug: str) -> bool:
    # `_` is a LIKE wildcard but also in every slug: only `%` makes a pattern, as people write them.
    return "%" in slug


def find_profile(profiles: list[dict[str, Any]], wanted: str) -> dict[str, Any]:
    for profile in profiles:
        if wanted.isdigit() and int(wanted) == profile["id"] or wanted.casefold() in (name.casefold() for name in profile["names"]):
            return profile
    known = ", ".join(f"{p['id']} ({'/'.join(sorted(set(p['names'])))})" for p in profiles)
    raise ShopError(f"no profile {wanted!r}; the profiles are {known}")


def plan_grants(roles: dict[int, str], granted: dict[int, set[int]], profile_id: int, slugs: list[str],
                mirror_id: int | None, pattern_matches: dict[str, list[int]]) -> dict[str, Any]:
    """Which (role id, slug) rows the profile lacks. `pattern_matches`: each requested slug → role ids it names."""
    wanted: set[int] = set()
    unknown: list[str] = []
    empty_patterns: list[str] = []
    for slug in slugs:
        matches = pattern_matches.get(slug, [])
        if not matches:
            (empty_patterns if is_pattern(slug) else unknown).append(slug)
        wanted.update(matches)
    if mirror_id is not None:
        wanted.update(granted.get(mirror_id, set()))
    have = granted.get(profile_id, set())
    missing = sorted(wanted - have, key=lambda role_id: roles[role_id])
    return {"missing": missing, "unknown": unknown, "empty_patterns": empty_patterns}


def read_state(connection: Any, params: Any) -> dict[str, Any]:
    roles = {int(row["id_authorization_role"]): row["slug"] for row in
             fetch_all(connection, f"SELECT id_authorization_role, slug FROM {table(params, 'authorization_role')}")}
    granted: dict[int, set[int]] = {}
    for name in ("access", "module_access"):
        for row in fetch_all(connection, f"SELECT id_profile, id_authorization_role FROM {table(params, name)}"):
            granted.setdefault(int(row["id_profile"]), set()).add(int(row["id_authorization_role"]))
    names: dict[int, list[str]] = {}
    for row in fetch_all(connection, f"SELECT p.id_profile, pl.name FROM {table(params, 'profile')} p "
                         f"LEFT JOIN {table(params, 'profile_lang')} pl ON pl.id_profile = p.id_profile ORDER BY p.id_profile"):
        names.setdefault(int(row["id_profile"]), [])
        if row["name"]:
            names[int(row["id_profile"])].append(row["name"])
    profiles = [{"id": profile_id, "names": profile_names} for profile_id, profile_names in names.items()]
    return {"roles": roles, "granted": granted, "profiles": profiles}


def match_slugs(connection: Any, params: Any, slugs: list[str]) -> dict[str, list[int]]:
    matches = {}
    for slug in slugs:
        operator = "LIKE" if is_pattern(slug) else "="
        rows = fetch_all(connection, f"SELECT id_authorization_role FROM {table(params, 'authorization_role')} WHERE slug {operator} %s", (slug,))
        matches[slug] = [int(row["id_authorization_role"]) for row in rows]
    return matches


def run(module: AnsibleModule) -> dict[str, Any]:
    require_pymysql(module)
    files = inspect_files(module.params["shop_root"], module.params["admin_dir"])
    params = db_params(read_parameters(files.root)[1], db_overrides(module.params))
    connection = connect(params, module.params["db_connect_timeout"])
    try:
        state = read_state(connection, params)
        profile = find_profile(state["profiles"], module.params["profile"])
        mirror = find_profile(state["profiles"], module.params["mirror"]) if module.params["mirror"] else None
        plan = plan_grants(state["roles"], state["granted"], profile["id"], module.params["slugs"], mirror["id"] if mirror else None,
                           match_slugs(connection, params, module.params["slugs"]))
        if plan["unknown"]:
            raise ShopError(f"no authorization_role slug {', '.join(plan['unknown'])} in {params.describe()}")
        for pattern in plan["empty_patterns"]:
            module.warn(f"the pattern {pattern!r} matches no authorization_role slug")
        roles = state["roles"]
        if plan["missing"] and not module.check_mode:
            with connection.cursor() as cursor:
                for role_id in plan["missing"]:
                    cursor.execute(f"INSERT IGNORE INTO {table(params, access_table(roles[role_id]))} (id_profile, id_authorization_role) "
                                   "VALUES (%s, %s)", (profile["id"], role_id))
    except QUERY_ERRORS as exc:
        raise DbError(f"granting access in {params.describe()} failed: {query_error_message(exc)}") from None
    finally:
        connection.close()
    before = state["granted"].get(profile["id"], set())
    after = before | set(plan["missing"])
    reachable = set().union(*state["granted"].values(), after) if state["granted"] else after
    return {
        "changed": bool(plan["missing"]),
        "profile": {"id": profile["id"], "name": (profile["names"] or [None])[0]},
        "added": [roles[role_id] for role_id in plan["missing"]],
        "unreachable_slugs": sorted(slug for role_id, slug in roles.items() if role_id not in reachable),
        "diff": {"before": {"slugs": sorted(roles[r] for r in before if r in roles)}, "after": {"slugs": sorted(roles[r] for r in after if r in roles)}},
    }


def main() -> None:
    module = create_module()
    try:
        result = run(module)
    except (ShopError, DbError) as exc:
        module.fail_json(msg=str(exc))
    if not module._diff:
        result.pop("diff")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
