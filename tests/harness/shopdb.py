"""The core PrestaShop 8.1 tables our steps touch, filled with realistic synthetic data.

Column names and types follow a real installed 8.1 shop: legacy tables in utf8mb4_general_ci, Doctrine-managed ones
(shop, shop_group, lang, lang_shop, tab, tab_lang) in utf8mb4_unicode_ci and, as bundled modules still create it,
statssearch in 3-byte utf8. A custom module ("mymodule") adds what later backup and restore checks need: binary
data, zero dates, a double, a stored generated column, a view and a trigger.

Everything is generated from ShopDbFacts.seed, so the same facts give byte-identical tables (table_checksums).
"""
from __future__ import annotations

import random
import re
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterator, Sequence

import pymysql

from harness.mariadb import HarnessError

GENERAL = "utf8mb4 COLLATE=utf8mb4_general_ci"
DOCTRINE = "utf8mb4 COLLATE=utf8mb4_unicode_ci"
LEGACY_MODULE = "utf8mb3 COLLATE=utf8mb3_general_ci"
ENGINES = ("InnoDB", "MyISAM", "Aria")
ZERO_DATETIME = "0000-00-00 00:00:00"
ZERO_DATE = "0000-00-00"
# Strict, so a value that does not fit fails instead of being silently truncated, but without NO_ZERO_DATE and
# NO_ZERO_IN_DATE (MySQL 8's defaults): zero dates are part of real shop data.
DATA_SQL_MODE = "STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION"
_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,29}$")

#: Every byte value once: the first mymodule_blob row holds exactly this (NUL, quote and backslash included).
SPECIAL_BLOB = bytes(range(256))

#: Texts stored verbatim as the notes of the first customers, in this order, so tests can find them again.
TRICKY_TEXTS = (
    "It's a \"quoted\" note; with a semicolon;\nand a newline",
    "Backslashes: C:\\shop\\var\\cache and \\n is not a newline, nor is \\\\",
    "Emoji 🛒🎉👩‍💻 and a clef 𝄞 outside the BMP",
    "CJK 東京都渋谷区 and 한국어, accents àéîõü ÇØß Œuvre",
    "SQL-looking: '); DROP TABLE ps_orders; -- /* not a comment */ #",
    "Tab\tcarriage return\r\nbell \x07 and a trailing space ",
    "%s %(name)s {0} $1 — not placeholders",
)

DEFAULT_MODULES: tuple[tuple[str, str, bool], ...] = (
    ("blockwishlist", "3.0.1", True),
    ("contactform", "4.4.1", True),
    ("dashactivity", "2.1.0", True),
    ("dashgoals", "2.0.4", True),
    ("dashproducts", "2.1.4", True),
    ("graphnvd3", "2.0.3", True),
    ("gridhtml", "2.0.3", True),
    ("gsitemap", "4.3.0", True),
    ("pagesnotfound", "2.0.3", True),
    ("productcomments", "7.0.0", True),
    ("ps_categorytree", "3.0.0", True),
    ("ps_checkpayment", "2.1.0", True),
    ("ps_contactinfo", "3.3.2", True),
    ("ps_crossselling", "3.0.1", True),
    ("ps_customeraccountlinks", "3.2.0", True),
    ("ps_customersignin", "2.0.5", True),
    ("ps_dataprivacy", "2.1.1", True),
    ("ps_distributionapiclient", "1.1.1", True),
    ("ps_emailsubscription", "2.8.2", True),
    ("ps_facetedsearch", "3.16.0", True),
    ("ps_featuredproducts", "2.1.5", True),
    ("ps_imageslider", "3.2.0", True),
    ("ps_languageselector", "2.1.3", True),
    ("ps_linklist", "6.0.7", True),
    ("ps_mainmenu", "2.3.4", True),
    ("ps_searchbar", "2.1.3", True),
    ("ps_shoppingcart", "3.0.0", True),
    ("ps_socialfollow", "2.3.2", True),
    ("ps_themecusto", "1.2.4", True),
    ("ps_wirepayment", "2.2.0", True),
    ("statsbestcategories", "2.0.1", True),
    ("statssearch", "2.1.0", True),
    ("ps_viewedproduct", "1.2.4", False),
    ("ps_banner", "2.1.2", False),
    ("mymodule", "1.4.2", True),
)


@dataclass
class ShopDbFacts:
    """What the synthetic shop database says about itself.

    ps_version_db and install_version land in the global PS_VERSION_DB and PS_INSTALL_VERSION rows. More than one
    shop name makes a multistore (one shop group, PS_MULTISHOP_FEATURE_ACTIVE=1, one shop_url per shop, the extra
    shops under virtual URIs). shops_in_maintenance holds 1-based shop ids whose PS_SHOP_ENABLE is 0: in the global
    row for a single shop; in shop rows, under a group row of 1, for a multistore. modules are (name, version in the
    module table, active). scale multiplies the customer, order, statistics and log rows (about 6,000 rows at 1).
    """

    ps_version_db: str
    install_version: str
    shop_names: list[str] = field(default_factory=lambda: ["Main shop"])
    shops_in_maintenance: list[int] = field(default_factory=list)
    maintenance_ips: str = "127.0.0.1"
    modules: list[tuple[str, str, bool]] = field(default_factory=lambda: list(DEFAULT_MODULES))
    domain: str = "localhost"
    base_uri: str = "/"
    scale: int = 1
    seed: int = 0

    @property
    def multistore(self) -> bool:
        return len(self.shop_names) > 1


# --------------------------------------------------------------------------------------------------------------------
# Schema. Column definitions follow a real PrestaShop 8.1 database; the CREATE statement around them is built below.
# --------------------------------------------------------------------------------------------------------------------

_TABLES: tuple[tuple[str, str, str], ...] = (
    ("shop_group", DOCTRINE, """
  `id_shop_group` int(11) NOT NULL AUTO_INCREMENT,
  `name` varchar(64) NOT NULL,
  `color` varchar(50) NOT NULL,
  `share_customer` tinyint(1) NOT NULL,
  `share_order` tinyint(1) NOT NULL,
  `share_stock` tinyint(1) NOT NULL,
  `active` tinyint(1) NOT NULL,
  `deleted` tinyint(1) NOT NULL,
  PRIMARY KEY (`id_shop_group`)"""),
    ("shop", DOCTRINE, """
  `id_shop` int(11) NOT NULL AUTO_INCREMENT,
  `id_shop_group` int(11) NOT NULL,
  `name` varchar(64) NOT NULL,
  `color` varchar(50) NOT NULL,
  `id_category` int(11) NOT NULL,
  `theme_name` varchar(255) NOT NULL,
  `active` tinyint(1) NOT NULL,
  `deleted` tinyint(1) NOT NULL,
  PRIMARY KEY (`id_shop`),
  KEY `IDX_CBDFBB9EF5C9E40` (`id_shop_group`)"""),
    ("shop_url", GENERAL, """
  `id_shop_url` int(11) NOT NULL AUTO_INCREMENT,
  `id_shop` int(11) NOT NULL,
  `domain` varchar(150) NOT NULL,
  `domain_ssl` varchar(150) NOT NULL,
  `physical_uri` varchar(64) NOT NULL,
  `virtual_uri` varchar(64) NOT NULL,
  `main` tinyint(1) NOT NULL,
  `active` tinyint(1) NOT NULL,
  PRIMARY KEY (`id_shop_url`),
  KEY `IDX_279F19DA274A50A0` (`id_shop`)"""),
    ("lang", DOCTRINE, """
  `id_lang` int(11) NOT NULL AUTO_INCREMENT,
  `name` varchar(32) NOT NULL,
  `active` tinyint(1) NOT NULL,
  `iso_code` varchar(2) NOT NULL,
  `language_code` varchar(5) NOT NULL,
  `locale` varchar(5) NOT NULL,
  `date_format_lite` varchar(32) NOT NULL,
  `date_format_full` varchar(32) NOT NULL,
  `is_rtl` tinyint(1) NOT NULL,
  PRIMARY KEY (`id_lang`)"""),
    ("lang_shop", DOCTRINE, """
  `id_lang` int(11) NOT NULL,
  `id_shop` int(11) NOT NULL,
  PRIMARY KEY (`id_lang`,`id_shop`),
  KEY `IDX_2F43BFC7BA299860` (`id_lang`),
  KEY `IDX_2F43BFC7274A50A0` (`id_shop`)"""),
    ("configuration", GENERAL, """
  `id_configuration` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `id_shop_group` int(10) unsigned DEFAULT NULL,
  `id_shop` int(10) unsigned DEFAULT NULL,
  `name` varchar(254) NOT NULL,
  `value` mediumtext DEFAULT NULL,
  `date_add` datetime NOT NULL,
  `date_upd` datetime NOT NULL,
  PRIMARY KEY (`id_configuration`),
  KEY `name` (`name`(191)),
  KEY `id_shop` (`id_shop`),
  KEY `id_shop_group` (`id_shop_group`)"""),
    ("configuration_lang", GENERAL, """
  `id_configuration` int(10) unsigned NOT NULL,
  `id_lang` int(10) unsigned NOT NULL,
  `value` text DEFAULT NULL,
  `date_upd` datetime DEFAULT NULL,
  PRIMARY KEY (`id_configuration`,`id_lang`)"""),
    ("profile", GENERAL, """
  `id_profile` int(10) unsigned NOT NULL AUTO_INCREMENT,
  PRIMARY KEY (`id_profile`)"""),
    ("profile_lang", GENERAL, """
  `id_lang` int(10) unsigned NOT NULL,
  `id_profile` int(10) unsigned NOT NULL,
  `name` varchar(128) NOT NULL,
  PRIMARY KEY (`id_profile`,`id_lang`)"""),
    ("employee", GENERAL, """
  `id_employee` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `id_profile` int(10) unsigned NOT NULL,
  `id_lang` int(10) unsigned NOT NULL DEFAULT 0,
  `lastname` varchar(255) NOT NULL,
  `firstname` varchar(255) NOT NULL,
  `email` varchar(255) NOT NULL,
  `passwd` varchar(255) NOT NULL,
  `last_passwd_gen` timestamp NOT NULL DEFAULT current_timestamp(),
  `stats_date_from` date DEFAULT NULL,
  `stats_date_to` date DEFAULT NULL,
  `stats_compare_from` date DEFAULT NULL,
  `stats_compare_to` date DEFAULT NULL,
  `stats_compare_option` int(10) unsigned NOT NULL DEFAULT 1,
  `preselect_date_range` varchar(32) DEFAULT NULL,
  `bo_color` varchar(32) DEFAULT NULL,
  `bo_theme` varchar(32) DEFAULT NULL,
  `bo_css` varchar(64) DEFAULT NULL,
  `default_tab` int(10) unsigned NOT NULL DEFAULT 0,
  `bo_width` int(10) unsigned NOT NULL DEFAULT 0,
  `bo_menu` tinyint(1) NOT NULL DEFAULT 1,
  `active` tinyint(1) unsigned NOT NULL DEFAULT 0,
  `optin` tinyint(1) unsigned DEFAULT NULL,
  `id_last_order` int(10) unsigned NOT NULL DEFAULT 0,
  `id_last_customer_message` int(10) unsigned NOT NULL DEFAULT 0,
  `id_last_customer` int(10) unsigned NOT NULL DEFAULT 0,
  `last_connection_date` date DEFAULT NULL,
  `reset_password_token` varchar(40) DEFAULT NULL,
  `reset_password_validity` datetime DEFAULT NULL,
  `has_enabled_gravatar` tinyint(3) unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY (`id_employee`),
  KEY `employee_login` (`email`(191),`passwd`(191)),
  KEY `id_employee_passwd` (`id_employee`,`passwd`(191)),
  KEY `id_profile` (`id_profile`)"""),
    ("tab", DOCTRINE, """
  `id_tab` int(11) NOT NULL AUTO_INCREMENT,
  `id_parent` int(11) NOT NULL,
  `position` int(11) NOT NULL,
  `module` varchar(64) DEFAULT NULL,
  `class_name` varchar(64) NOT NULL,
  `route_name` varchar(256) DEFAULT NULL,
  `active` tinyint(1) NOT NULL,
  `enabled` tinyint(1) NOT NULL,
  `icon` varchar(32) DEFAULT NULL,
  `wording` varchar(255) DEFAULT NULL,
  `wording_domain` varchar(255) DEFAULT NULL,
  PRIMARY KEY (`id_tab`)"""),
    ("tab_lang", DOCTRINE, """
  `id_tab` int(11) NOT NULL,
  `id_lang` int(11) NOT NULL,
  `name` varchar(128) NOT NULL,
  PRIMARY KEY (`id_tab`,`id_lang`),
  KEY `IDX_CFD9262DED47AB56` (`id_tab`),
  KEY `IDX_CFD9262DBA299860` (`id_lang`)"""),
    ("module", GENERAL, """
  `id_module` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `name` varchar(64) NOT NULL,
  `active` tinyint(1) unsigned NOT NULL DEFAULT 0,
  `version` varchar(8) NOT NULL,
  PRIMARY KEY (`id_module`),
  UNIQUE KEY `name_UNIQUE` (`name`),
  KEY `name` (`name`)"""),
    ("module_shop", GENERAL, """
  `id_module` int(10) unsigned NOT NULL,
  `id_shop` int(10) unsigned NOT NULL,
  `enable_device` tinyint(1) NOT NULL DEFAULT 7,
  PRIMARY KEY (`id_module`,`id_shop`),
  KEY `id_shop` (`id_shop`)"""),
    ("authorization_role", GENERAL, """
  `id_authorization_role` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `slug` varchar(191) NOT NULL,
  PRIMARY KEY (`id_authorization_role`),
  UNIQUE KEY `slug` (`slug`)"""),
    ("access", GENERAL, """
  `id_profile` int(10) unsigned NOT NULL,
  `id_authorization_role` int(10) unsigned NOT NULL,
  PRIMARY KEY (`id_profile`,`id_authorization_role`)"""),
    ("module_access", GENERAL, """
  `id_profile` int(10) unsigned NOT NULL,
  `id_authorization_role` int(10) unsigned NOT NULL,
  PRIMARY KEY (`id_profile`,`id_authorization_role`)"""),
    ("hook", GENERAL, """
  `id_hook` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `name` varchar(191) NOT NULL,
  `title` varchar(255) NOT NULL,
  `description` text DEFAULT NULL,
  `active` tinyint(1) unsigned NOT NULL DEFAULT 1,
  `position` tinyint(1) NOT NULL DEFAULT 1,
  PRIMARY KEY (`id_hook`),
  UNIQUE KEY `hook_name` (`name`)"""),
    ("hook_module", GENERAL, """
  `id_module` int(10) unsigned NOT NULL,
  `id_shop` int(10) unsigned NOT NULL DEFAULT 1,
  `id_hook` int(10) unsigned NOT NULL,
  `position` tinyint(3) unsigned NOT NULL,
  PRIMARY KEY (`id_module`,`id_hook`,`id_shop`),
  KEY `id_hook` (`id_hook`),
  KEY `id_module` (`id_module`),
  KEY `position` (`id_shop`,`position`)"""),
    ("customer", GENERAL, """
  `id_customer` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `id_shop_group` int(10) unsigned NOT NULL DEFAULT 1,
  `id_shop` int(10) unsigned NOT NULL DEFAULT 1,
  `id_gender` int(10) unsigned NOT NULL,
  `id_default_group` int(10) unsigned NOT NULL DEFAULT 1,
  `id_lang` int(10) unsigned DEFAULT NULL,
  `id_risk` int(10) unsigned NOT NULL DEFAULT 1,
  `company` varchar(255) DEFAULT NULL,
  `siret` varchar(14) DEFAULT NULL,
  `ape` varchar(6) DEFAULT NULL,
  `firstname` varchar(255) NOT NULL,
  `lastname` varchar(255) NOT NULL,
  `email` varchar(255) NOT NULL,
  `passwd` varchar(255) NOT NULL,
  `last_passwd_gen` timestamp NOT NULL DEFAULT current_timestamp(),
  `birthday` date DEFAULT NULL,
  `newsletter` tinyint(1) unsigned NOT NULL DEFAULT 0,
  `ip_registration_newsletter` varchar(15) DEFAULT NULL,
  `newsletter_date_add` datetime DEFAULT NULL,
  `optin` tinyint(1) unsigned NOT NULL DEFAULT 0,
  `website` varchar(128) DEFAULT NULL,
  `outstanding_allow_amount` decimal(20,6) NOT NULL DEFAULT 0.000000,
  `show_public_prices` tinyint(1) unsigned NOT NULL DEFAULT 0,
  `max_payment_days` int(10) unsigned NOT NULL DEFAULT 60,
  `secure_key` varchar(32) NOT NULL DEFAULT '-1',
  `note` text DEFAULT NULL,
  `active` tinyint(1) unsigned NOT NULL DEFAULT 0,
  `is_guest` tinyint(1) NOT NULL DEFAULT 0,
  `deleted` tinyint(1) NOT NULL DEFAULT 0,
  `date_add` datetime NOT NULL,
  `date_upd` datetime NOT NULL,
  `reset_password_token` varchar(40) DEFAULT NULL,
  `reset_password_validity` datetime DEFAULT NULL,
  PRIMARY KEY (`id_customer`),
  KEY `customer_email` (`email`(191)),
  KEY `customer_login` (`email`(191),`passwd`(191)),
  KEY `id_customer_passwd` (`id_customer`,`passwd`(191)),
  KEY `id_gender` (`id_gender`),
  KEY `id_shop_group` (`id_shop_group`),
  KEY `id_shop` (`id_shop`,`date_add`)"""),
    ("address", GENERAL, """
  `id_address` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `id_country` int(10) unsigned NOT NULL,
  `id_state` int(10) unsigned DEFAULT NULL,
  `id_customer` int(10) unsigned NOT NULL DEFAULT 0,
  `id_manufacturer` int(10) unsigned NOT NULL DEFAULT 0,
  `id_supplier` int(10) unsigned NOT NULL DEFAULT 0,
  `id_warehouse` int(10) unsigned NOT NULL DEFAULT 0,
  `alias` varchar(32) NOT NULL,
  `company` varchar(255) DEFAULT NULL,
  `lastname` varchar(255) NOT NULL,
  `firstname` varchar(255) NOT NULL,
  `address1` varchar(128) NOT NULL,
  `address2` varchar(128) DEFAULT NULL,
  `postcode` varchar(12) DEFAULT NULL,
  `city` varchar(64) NOT NULL,
  `other` text DEFAULT NULL,
  `phone` varchar(32) DEFAULT NULL,
  `phone_mobile` varchar(32) DEFAULT NULL,
  `vat_number` varchar(32) DEFAULT NULL,
  `dni` varchar(16) DEFAULT NULL,
  `date_add` datetime NOT NULL,
  `date_upd` datetime NOT NULL,
  `active` tinyint(1) unsigned NOT NULL DEFAULT 1,
  `deleted` tinyint(1) unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY (`id_address`),
  KEY `address_customer` (`id_customer`),
  KEY `id_country` (`id_country`),
  KEY `id_state` (`id_state`),
  KEY `id_manufacturer` (`id_manufacturer`),
  KEY `id_supplier` (`id_supplier`),
  KEY `id_warehouse` (`id_warehouse`)"""),
    ("guest", GENERAL, """
  `id_guest` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `id_operating_system` int(10) unsigned DEFAULT NULL,
  `id_web_browser` int(10) unsigned DEFAULT NULL,
  `id_customer` int(10) unsigned DEFAULT NULL,
  `javascript` tinyint(1) DEFAULT 0,
  `screen_resolution_x` smallint(5) unsigned DEFAULT NULL,
  `screen_resolution_y` smallint(5) unsigned DEFAULT NULL,
  `screen_color` tinyint(3) unsigned DEFAULT NULL,
  `sun_java` tinyint(1) DEFAULT NULL,
  `adobe_flash` tinyint(1) DEFAULT NULL,
  `adobe_director` tinyint(1) DEFAULT NULL,
  `apple_quicktime` tinyint(1) DEFAULT NULL,
  `real_player` tinyint(1) DEFAULT NULL,
  `windows_media` tinyint(1) DEFAULT NULL,
  `accept_language` varchar(8) DEFAULT NULL,
  `mobile_theme` tinyint(1) NOT NULL DEFAULT 0,
  PRIMARY KEY (`id_guest`),
  KEY `id_customer` (`id_customer`),
  KEY `id_operating_system` (`id_operating_system`),
  KEY `id_web_browser` (`id_web_browser`)"""),
    ("cart", GENERAL, """
  `id_cart` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `id_shop_group` int(10) unsigned NOT NULL DEFAULT 1,
  `id_shop` int(10) unsigned NOT NULL DEFAULT 1,
  `id_carrier` int(10) unsigned NOT NULL,
  `delivery_option` text NOT NULL,
  `id_lang` int(10) unsigned NOT NULL,
  `id_address_delivery` int(10) unsigned NOT NULL,
  `id_address_invoice` int(10) unsigned NOT NULL,
  `id_currency` int(10) unsigned NOT NULL,
  `id_customer` int(10) unsigned NOT NULL,
  `id_guest` int(10) unsigned NOT NULL,
  `secure_key` varchar(32) NOT NULL DEFAULT '-1',
  `recyclable` tinyint(1) unsigned NOT NULL DEFAULT 1,
  `gift` tinyint(1) unsigned NOT NULL DEFAULT 0,
  `gift_message` text DEFAULT NULL,
  `mobile_theme` tinyint(1) NOT NULL DEFAULT 0,
  `allow_seperated_package` tinyint(1) unsigned NOT NULL DEFAULT 0,
  `date_add` datetime NOT NULL,
  `date_upd` datetime NOT NULL,
  `checkout_session_data` mediumtext DEFAULT NULL,
  PRIMARY KEY (`id_cart`),
  KEY `cart_customer` (`id_customer`),
  KEY `id_address_delivery` (`id_address_delivery`),
  KEY `id_address_invoice` (`id_address_invoice`),
  KEY `id_carrier` (`id_carrier`),
  KEY `id_lang` (`id_lang`),
  KEY `id_currency` (`id_currency`),
  KEY `id_guest` (`id_guest`),
  KEY `id_shop_group` (`id_shop_group`),
  KEY `id_shop_2` (`id_shop`,`date_upd`),
  KEY `id_shop` (`id_shop`,`date_add`)"""),
    ("orders", GENERAL, """
  `id_order` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `reference` varchar(9) DEFAULT NULL,
  `id_shop_group` int(10) unsigned NOT NULL DEFAULT 1,
  `id_shop` int(10) unsigned NOT NULL DEFAULT 1,
  `id_carrier` int(10) unsigned NOT NULL,
  `id_lang` int(10) unsigned NOT NULL,
  `id_customer` int(10) unsigned NOT NULL,
  `id_cart` int(10) unsigned NOT NULL,
  `id_currency` int(10) unsigned NOT NULL,
  `id_address_delivery` int(10) unsigned NOT NULL,
  `id_address_invoice` int(10) unsigned NOT NULL,
  `current_state` int(10) unsigned NOT NULL,
  `secure_key` varchar(32) NOT NULL DEFAULT '-1',
  `payment` varchar(255) NOT NULL,
  `conversion_rate` decimal(13,6) NOT NULL DEFAULT 1.000000,
  `module` varchar(255) DEFAULT NULL,
  `recyclable` tinyint(1) unsigned NOT NULL DEFAULT 0,
  `gift` tinyint(1) unsigned NOT NULL DEFAULT 0,
  `gift_message` text DEFAULT NULL,
  `mobile_theme` tinyint(1) NOT NULL DEFAULT 0,
  `total_discounts` decimal(20,6) NOT NULL DEFAULT 0.000000,
  `total_discounts_tax_incl` decimal(20,6) NOT NULL DEFAULT 0.000000,
  `total_discounts_tax_excl` decimal(20,6) NOT NULL DEFAULT 0.000000,
  `total_paid` decimal(20,6) NOT NULL DEFAULT 0.000000,
  `total_paid_tax_incl` decimal(20,6) NOT NULL DEFAULT 0.000000,
  `total_paid_tax_excl` decimal(20,6) NOT NULL DEFAULT 0.000000,
  `total_paid_real` decimal(20,6) NOT NULL DEFAULT 0.000000,
  `total_products` decimal(20,6) NOT NULL DEFAULT 0.000000,
  `total_products_wt` decimal(20,6) NOT NULL DEFAULT 0.000000,
  `total_shipping` decimal(20,6) NOT NULL DEFAULT 0.000000,
  `total_shipping_tax_incl` decimal(20,6) NOT NULL DEFAULT 0.000000,
  `total_shipping_tax_excl` decimal(20,6) NOT NULL DEFAULT 0.000000,
  `carrier_tax_rate` decimal(10,3) NOT NULL DEFAULT 0.000,
  `total_wrapping` decimal(20,6) NOT NULL DEFAULT 0.000000,
  `total_wrapping_tax_incl` decimal(20,6) NOT NULL DEFAULT 0.000000,
  `total_wrapping_tax_excl` decimal(20,6) NOT NULL DEFAULT 0.000000,
  `round_mode` tinyint(1) NOT NULL DEFAULT 2,
  `round_type` tinyint(1) NOT NULL DEFAULT 1,
  `invoice_number` int(10) unsigned NOT NULL DEFAULT 0,
  `delivery_number` int(10) unsigned NOT NULL DEFAULT 0,
  `invoice_date` datetime NOT NULL,
  `delivery_date` datetime NOT NULL,
  `valid` int(10) unsigned NOT NULL DEFAULT 0,
  `date_add` datetime NOT NULL,
  `date_upd` datetime NOT NULL,
  `note` text DEFAULT NULL,
  PRIMARY KEY (`id_order`),
  KEY `reference` (`reference`),
  KEY `id_customer` (`id_customer`),
  KEY `id_cart` (`id_cart`),
  KEY `invoice_number` (`invoice_number`),
  KEY `id_carrier` (`id_carrier`),
  KEY `id_lang` (`id_lang`),
  KEY `id_currency` (`id_currency`),
  KEY `id_address_delivery` (`id_address_delivery`),
  KEY `id_address_invoice` (`id_address_invoice`),
  KEY `id_shop_group` (`id_shop_group`),
  KEY `current_state` (`current_state`),
  KEY `id_shop` (`id_shop`),
  KEY `date_add` (`date_add`)"""),
    ("order_detail", GENERAL, """
  `id_order_detail` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `id_order` int(10) unsigned NOT NULL,
  `id_order_invoice` int(11) DEFAULT NULL,
  `id_warehouse` int(10) unsigned DEFAULT 0,
  `id_shop` int(10) unsigned NOT NULL,
  `product_id` int(10) unsigned NOT NULL,
  `product_attribute_id` int(10) unsigned DEFAULT NULL,
  `id_customization` int(10) unsigned DEFAULT 0,
  `product_name` text NOT NULL,
  `product_quantity` int(10) unsigned NOT NULL DEFAULT 0,
  `product_quantity_in_stock` int(11) NOT NULL DEFAULT 0,
  `product_quantity_refunded` int(10) unsigned NOT NULL DEFAULT 0,
  `product_quantity_return` int(10) unsigned NOT NULL DEFAULT 0,
  `product_quantity_reinjected` int(10) unsigned NOT NULL DEFAULT 0,
  `product_price` decimal(20,6) NOT NULL DEFAULT 0.000000,
  `reduction_percent` decimal(5,2) NOT NULL DEFAULT 0.00,
  `reduction_amount` decimal(20,6) NOT NULL DEFAULT 0.000000,
  `reduction_amount_tax_incl` decimal(20,6) NOT NULL DEFAULT 0.000000,
  `reduction_amount_tax_excl` decimal(20,6) NOT NULL DEFAULT 0.000000,
  `group_reduction` decimal(5,2) NOT NULL DEFAULT 0.00,
  `product_quantity_discount` decimal(20,6) NOT NULL DEFAULT 0.000000,
  `product_ean13` varchar(13) DEFAULT NULL,
  `product_isbn` varchar(32) DEFAULT NULL,
  `product_upc` varchar(12) DEFAULT NULL,
  `product_mpn` varchar(40) DEFAULT NULL,
  `product_reference` varchar(64) DEFAULT NULL,
  `product_supplier_reference` varchar(64) DEFAULT NULL,
  `product_weight` decimal(20,6) NOT NULL,
  `id_tax_rules_group` int(10) unsigned DEFAULT 0,
  `tax_computation_method` tinyint(1) unsigned NOT NULL DEFAULT 0,
  `tax_name` varchar(16) NOT NULL,
  `tax_rate` decimal(10,3) NOT NULL DEFAULT 0.000,
  `ecotax` decimal(17,6) NOT NULL DEFAULT 0.000000,
  `ecotax_tax_rate` decimal(5,3) NOT NULL DEFAULT 0.000,
  `discount_quantity_applied` tinyint(1) NOT NULL DEFAULT 0,
  `download_hash` varchar(255) DEFAULT NULL,
  `download_nb` int(10) unsigned DEFAULT 0,
  `download_deadline` datetime DEFAULT NULL,
  `total_price_tax_incl` decimal(20,6) NOT NULL DEFAULT 0.000000,
  `total_price_tax_excl` decimal(20,6) NOT NULL DEFAULT 0.000000,
  `unit_price_tax_incl` decimal(20,6) NOT NULL DEFAULT 0.000000,
  `unit_price_tax_excl` decimal(20,6) NOT NULL DEFAULT 0.000000,
  `total_shipping_price_tax_incl` decimal(20,6) NOT NULL DEFAULT 0.000000,
  `total_shipping_price_tax_excl` decimal(20,6) NOT NULL DEFAULT 0.000000,
  `purchase_supplier_price` decimal(20,6) NOT NULL DEFAULT 0.000000,
  `original_product_price` decimal(20,6) NOT NULL DEFAULT 0.000000,
  `original_wholesale_price` decimal(20,6) NOT NULL DEFAULT 0.000000,
  `total_refunded_tax_excl` decimal(20,6) NOT NULL DEFAULT 0.000000,
  `total_refunded_tax_incl` decimal(20,6) NOT NULL DEFAULT 0.000000,
  PRIMARY KEY (`id_order_detail`),
  KEY `order_detail_order` (`id_order`),
  KEY `product_id` (`product_id`,`product_attribute_id`),
  KEY `product_attribute_id` (`product_attribute_id`),
  KEY `id_tax_rules_group` (`id_tax_rules_group`),
  KEY `id_order_id_order_detail` (`id_order`,`id_order_detail`)"""),
    ("connections", GENERAL, """
  `id_connections` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `id_shop_group` int(10) unsigned NOT NULL DEFAULT 1,
  `id_shop` int(10) unsigned NOT NULL DEFAULT 1,
  `id_guest` int(10) unsigned NOT NULL,
  `id_page` int(10) unsigned NOT NULL,
  `ip_address` bigint(20) DEFAULT NULL,
  `date_add` datetime NOT NULL,
  `http_referer` varchar(255) DEFAULT NULL,
  PRIMARY KEY (`id_connections`),
  KEY `id_guest` (`id_guest`),
  KEY `date_add` (`date_add`),
  KEY `id_page` (`id_page`)"""),
    ("connections_page", GENERAL, """
  `id_connections` int(10) unsigned NOT NULL,
  `id_page` int(10) unsigned NOT NULL,
  `time_start` datetime NOT NULL,
  `time_end` datetime DEFAULT NULL,
  PRIMARY KEY (`id_connections`,`id_page`,`time_start`)"""),
    ("connections_source", GENERAL, """
  `id_connections_source` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `id_connections` int(10) unsigned NOT NULL,
  `http_referer` varchar(255) DEFAULT NULL,
  `request_uri` varchar(255) DEFAULT NULL,
  `keywords` varchar(255) DEFAULT NULL,
  `date_add` datetime NOT NULL,
  PRIMARY KEY (`id_connections_source`),
  KEY `connections` (`id_connections`),
  KEY `orderby` (`date_add`),
  KEY `http_referer` (`http_referer`(191)),
  KEY `request_uri` (`request_uri`(191))"""),
    ("statssearch", LEGACY_MODULE, """
  `id_statssearch` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `id_shop` int(10) unsigned NOT NULL DEFAULT 1,
  `id_shop_group` int(10) unsigned NOT NULL DEFAULT 1,
  `keywords` varchar(255) NOT NULL,
  `results` int(11) NOT NULL DEFAULT 0,
  `date_add` datetime NOT NULL,
  PRIMARY KEY (`id_statssearch`)"""),
    ("search_index", GENERAL, """
  `id_product` int(10) unsigned NOT NULL,
  `id_word` int(10) unsigned NOT NULL,
  `weight` smallint(5) unsigned NOT NULL DEFAULT 1,
  PRIMARY KEY (`id_word`,`id_product`),
  KEY `id_product` (`id_product`,`weight`)"""),
    ("log", GENERAL, """
  `id_log` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `severity` tinyint(1) NOT NULL,
  `error_code` int(11) DEFAULT NULL,
  `message` text NOT NULL,
  `object_type` varchar(32) DEFAULT NULL,
  `object_id` int(10) unsigned DEFAULT NULL,
  `id_shop` int(10) unsigned DEFAULT NULL,
  `id_shop_group` int(10) unsigned DEFAULT NULL,
  `id_lang` int(10) unsigned DEFAULT NULL,
  `in_all_shops` tinyint(1) unsigned NOT NULL DEFAULT 0,
  `id_employee` int(10) unsigned DEFAULT NULL,
  `date_add` datetime NOT NULL,
  `date_upd` datetime NOT NULL,
  PRIMARY KEY (`id_log`)"""),
    ("mymodule_blob", DOCTRINE, """
  `id_mymodule_blob` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `id_shop` int(10) unsigned NOT NULL DEFAULT 1,
  `label` varchar(255) DEFAULT NULL,
  `payload` mediumblob NOT NULL,
  `payload_sha1` char(40) AS (SHA1(`payload`)) STORED,
  `thumbnail` blob DEFAULT NULL,
  `score` double DEFAULT NULL,
  `checked_at` datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
  `valid_until` date DEFAULT NULL,
  `date_add` datetime NOT NULL,
  PRIMARY KEY (`id_mymodule_blob`),
  KEY `payload_sha1` (`payload_sha1`)"""),
    ("mymodule_order_log", DOCTRINE, """
  `id_mymodule_order_log` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `id_order` int(10) unsigned NOT NULL,
  `event` varchar(32) NOT NULL,
  `date_add` datetime NOT NULL,
  PRIMARY KEY (`id_mymodule_order_log`),
  KEY `id_order` (`id_order`)"""),
)

TABLE_NAMES: tuple[str, ...] = tuple(name for name, _charset, _columns in _TABLES)
VIEW_NAME = "mymodule_customer_totals"
TRIGGER_NAME = "mymodule_order_created"

# The view keeps the default SQL SECURITY DEFINER and the trigger writes into another table, as module code does:
# a restore that creates the trigger before loading orders, or cannot recreate the definer, shows it.
_VIEW_SQL = ("CREATE VIEW `{p}" + VIEW_NAME + "` AS SELECT o.`id_customer`, COUNT(*) AS `nb_orders`, "
             "SUM(o.`total_paid_tax_incl`) AS `total_paid` FROM `{p}orders` o WHERE o.`valid` = 1 GROUP BY o.`id_customer`")
_TRIGGER_SQL = ("CREATE TRIGGER `{p}" + TRIGGER_NAME + "` AFTER INSERT ON `{p}orders` FOR EACH ROW "
                "INSERT INTO `{p}mymodule_order_log` (`id_order`, `event`, `date_add`) VALUES (NEW.`id_order`, 'created', NEW.`date_add`)")


def check_prefix(prefix: str) -> str:
    """A table prefix PrestaShop's installer would accept (letters, digits, underscores); ValueError otherwise."""
    if not _PREFIX.match(prefix):
        raise ValueError(f"table prefix {prefix!r} must start with a letter and hold only letters, digits and underscores")
    return prefix


def create_shop_schema(conn: pymysql.connections.Connection, prefix: str, engine: str = "InnoDB") -> None:
    """(Re)create the tables, view and trigger with this prefix in the connection's current database."""
    check_prefix(prefix)
    if engine not in ENGINES:
        raise ValueError(f"engine {engine!r} is not one of {', '.join(ENGINES)}")
    with _data_session(conn) as cursor:
        cursor.execute(f"DROP TRIGGER IF EXISTS `{prefix}{TRIGGER_NAME}`")
        cursor.execute(f"DROP VIEW IF EXISTS `{prefix}{VIEW_NAME}`")
        for name, charset, columns in _TABLES:
            if engine != "InnoDB":
                # MyISAM and Aria keys stop at 1000 bytes: two 191-character utf8mb4 key parts would not fit.
                columns = columns.replace("(191)", "(124)")
            cursor.execute(f"DROP TABLE IF EXISTS `{prefix}{name}`")
            cursor.execute(f"CREATE TABLE `{prefix}{name}` ({columns}\n) ENGINE={engine} DEFAULT CHARSET={charset}")
        cursor.execute(_VIEW_SQL.format(p=prefix))
        cursor.execute(_TRIGGER_SQL.format(p=prefix))


def populate_shop_database(conn: pymysql.connections.Connection, prefix: str, facts: ShopDbFacts) -> None:
    """Fill freshly created tables (create_shop_schema) with data deterministic for facts.seed."""
    check_prefix(prefix)
    _check_facts(facts)
    rows = _ShopData(facts)
    with _data_session(conn) as cursor:
        conn.begin()
        try:
            for table, columns, table_rows in rows.tables():
                _insert(cursor, f"{prefix}{table}", columns, table_rows)
        except BaseException:
            conn.rollback()
            raise
        conn.commit()


def table_checksums(conn: pymysql.connections.Connection, prefix: str) -> dict[str, int | None]:
    """CHECKSUM TABLE of every table with the prefix in the current database; views map to None."""
    check_prefix(prefix)
    with conn.cursor() as cursor:
        cursor.execute("SELECT DATABASE()")
        if cursor.fetchone()[0] is None:
            raise HarnessError("table_checksums needs a connection with a current database")
        cursor.execute("SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                       "AND TABLE_NAME LIKE %s ORDER BY TABLE_NAME", (_like_prefix(prefix),))
        listed = cursor.fetchall()
        checksums: dict[str, int | None] = {name: None for name, kind in listed if kind == "VIEW"}
        base_tables = [name for name, kind in listed if kind != "VIEW"]
        if base_tables:
            cursor.execute("CHECKSUM TABLE " + ", ".join(f"`{name}`" for name in base_tables))
            for qualified_name, checksum in cursor.fetchall():
                checksums[qualified_name.split(".", 1)[1]] = None if checksum is None else int(checksum)
    return dict(sorted(checksums.items()))


def configuration_value(conn: pymysql.connections.Connection, prefix: str, name: str, id_shop: int | None = None) -> str | None:
    """A configuration value resolved the way PrestaShop's Configuration::get does for a shop (None: no such key).

    With the multistore feature active (PS_MULTISHOP_FEATURE_ACTIVE=1 and more than one shop) the shop's row wins over
    its group's row, which wins over the global row; without it only the global row counts, whatever rows exist.
    """
    check_prefix(prefix)
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT `id_shop`, `id_shop_group` FROM `{prefix}shop` WHERE `deleted` = 0")
        shop_groups = dict(cursor.fetchall())
        cursor.execute(f"SELECT `name`, `id_shop_group`, `id_shop`, `value` FROM `{prefix}configuration` WHERE `name` IN (%s, %s) "
                       "ORDER BY `id_configuration`", (name, "PS_MULTISHOP_FEATURE_ACTIVE"))
        rows = cursor.fetchall()
    # Later rows overwrite earlier ones, as when PrestaShop loads the table into its cache.
    by_scope = {(group, shop): value for key, group, shop, value in rows if key == name}
    global_multistore = {(group, shop): value for key, group, shop, value in rows if key == "PS_MULTISHOP_FEATURE_ACTIVE"}
    multistore = global_multistore.get((None, None)) == "1" and len(shop_groups) > 1
    if multistore and id_shop is not None:
        shop_rows = {shop: value for (_group, shop), value in by_scope.items() if shop is not None}
        if id_shop in shop_rows:
            return shop_rows[id_shop]
        group_key = (shop_groups.get(id_shop), None)
        if group_key[0] is not None and group_key in by_scope:
            return by_scope[group_key]
    return by_scope.get((None, None))


def _like_prefix(prefix: str) -> str:
    # "_" is a LIKE wildcard: unescaped, prefix "ps_" would also list a table called "psXorders".
    return prefix.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%") + "%"


def _check_facts(facts: ShopDbFacts) -> None:
    if not facts.shop_names:
        raise ValueError("a shop database needs at least one shop")
    if any(not name or len(name) > 64 for name in facts.shop_names):
        raise ValueError(f"shop names must hold 1 to 64 characters: {facts.shop_names}")
    if facts.scale < 1:
        raise ValueError(f"scale must be at least 1, not {facts.scale}")
    unknown = [shop for shop in facts.shops_in_maintenance if not 1 <= shop <= len(facts.shop_names)]
    if unknown:
        raise ValueError(f"shops_in_maintenance {unknown} are not among shops 1..{len(facts.shop_names)}")
    names = [name for name, _version, _active in facts.modules]
    if len(set(names)) != len(names):
        raise ValueError(f"modules are listed more than once: {sorted({name for name in names if names.count(name) > 1})}")
    too_long = [name for name, version, _active in facts.modules if len(version) > 8 or len(name) > 64]
    if too_long:
        raise ValueError(f"module name or version too long for PrestaShop's columns: {too_long}")


@contextmanager
def _data_session(conn: pymysql.connections.Connection) -> Iterator[pymysql.cursors.Cursor]:
    """A cursor in DATA_SQL_MODE; the caller's sql_mode comes back afterwards."""
    if getattr(conn, "charset", "utf8mb4") != "utf8mb4":
        raise ValueError(f"the connection must use charset utf8mb4, not {conn.charset}: shop data holds 4-byte characters")
    with conn.cursor() as cursor:
        cursor.execute("SELECT @@SESSION.sql_mode")
        saved_mode = cursor.fetchone()[0]
        cursor.execute("SET SESSION sql_mode = %s", (DATA_SQL_MODE,))
        try:
            yield cursor
        finally:
            cursor.execute("SET SESSION sql_mode = %s", (saved_mode,))


def _insert(cursor: pymysql.cursors.Cursor, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    column_list = ", ".join(f"`{column}`" for column in columns)
    placeholders = ", ".join(["%s"] * len(columns))
    # PyMySQL turns executemany of a plain INSERT ... VALUES into multi-row statements: one round trip per ~1 MB.
    cursor.executemany(f"INSERT INTO `{table}` ({column_list}) VALUES ({placeholders})", rows)


# --------------------------------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------------------------------

_LANGUAGES = (
    # id, name, iso, language_code, locale, date_format_lite, date_format_full
    (1, "English (English)", "en", "en-us", "en-US", "m/d/Y", "m/d/Y H:i:s"),
    (2, "Français (French)", "fr", "fr-fr", "fr-FR", "d/m/Y", "d/m/Y H:i:s"),
    (3, "日本語 (Japanese)", "ja", "ja-jp", "ja-JP", "Y-m-d", "Y-m-d H:i:s"),
)

# class_name, parent class ("" top level, "-" hidden), module, route_name, icon, names in en / fr / ja
_TABS: tuple[tuple[str, str, str | None, str | None, str | None, tuple[str, str, str]], ...] = (
    ("AdminDashboard", "", None, "admin_dashboard", "trending_up", ("Dashboard", "Tableau de bord", "ダッシュボード")),
    ("SELL", "", None, None, None, ("Sell", "Vendre", "販売")),
    ("AdminParentOrders", "SELL", None, None, "shopping_basket", ("Orders", "Commandes", "注文")),
    ("AdminOrders", "AdminParentOrders", None, "admin_orders_index", None, ("Orders", "Commandes", "注文")),
    ("AdminInvoices", "AdminParentOrders", None, "admin_order_invoices", None, ("Invoices", "Factures", "請求書")),
    ("AdminSlip", "AdminParentOrders", None, "admin_credit_slips_index", None, ("Credit Slips", "Avoirs", "クレジットスリップ")),
    ("AdminDeliverySlip", "AdminParentOrders", None, "admin_order_delivery_slip", None, ("Delivery Slips", "Bons de livraison", "納品書")),
    ("AdminCarts", "AdminParentOrders", None, "admin_carts_index", None, ("Shopping Carts", "Paniers", "カート")),
    ("AdminCatalog", "SELL", None, None, "store", ("Catalog", "Catalogue", "カタログ")),
    ("AdminProducts", "AdminCatalog", None, "admin_products_index", None, ("Products", "Produits", "商品")),
    ("AdminCategories", "AdminCatalog", None, "admin_categories_index", None, ("Categories", "Catégories", "カテゴリー")),
    ("AdminTracking", "AdminCatalog", None, None, None, ("Monitoring", "Suivi", "モニタリング")),
    ("AdminParentAttributesGroups", "AdminCatalog", None, None, None, ("Attributes & Features", "Attributs & caractéristiques", "属性と機能")),
    ("AdminAttributesGroups", "AdminParentAttributesGroups", None, None, None, ("Attributes", "Attributs", "属性")),
    ("AdminFeatures", "AdminParentAttributesGroups", None, "admin_features_index", None, ("Features", "Caractéristiques", "機能")),
    ("AdminParentManufacturers", "AdminCatalog", None, None, None, ("Brands & Suppliers", "Marques et fournisseurs", "ブランドとサプライヤー")),
    ("AdminManufacturers", "AdminParentManufacturers", None, "admin_manufacturers_index", None, ("Brands", "Marques", "ブランド")),
    ("AdminSuppliers", "AdminParentManufacturers", None, "admin_suppliers_index", None, ("Suppliers", "Fournisseurs", "サプライヤー")),
    ("AdminAttachments", "AdminCatalog", None, "admin_attachments_index", None, ("Files", "Fichiers", "ファイル")),
    ("AdminParentCartRules", "AdminCatalog", None, None, None, ("Discounts", "Réductions", "割引")),
    ("AdminCartRules", "AdminParentCartRules", None, None, None, ("Cart Rules", "Règles panier", "カートルール")),
    ("AdminSpecificPriceRule", "AdminParentCartRules", None, None, None, ("Catalog Price Rules", "Règles de prix catalogue", "カタログ価格ルール")),
    ("AdminStockManagement", "AdminCatalog", None, "admin_stock_overview", None, ("Stock", "Stock", "在庫")),
    ("AdminParentCustomer", "SELL", None, None, "account_circle", ("Customers", "Clients", "顧客")),
    ("AdminCustomers", "AdminParentCustomer", None, "admin_customers_index", None, ("Customers", "Clients", "顧客")),
    ("AdminAddresses", "AdminParentCustomer", None, "admin_addresses_index", None, ("Addresses", "Adresses", "住所")),
    ("AdminOutstanding", "AdminParentCustomer", None, None, None, ("Outstanding", "Encours", "未払い")),
    ("AdminParentCustomerThreads", "SELL", None, None, "chrome_reader_mode", ("Customer Service", "SAV", "カスタマーサービス")),
    ("AdminCustomerThreads", "AdminParentCustomerThreads", None, None, None, ("Customer Service", "SAV", "カスタマーサービス")),
    ("AdminOrderMessage", "AdminParentCustomerThreads", None, "admin_order_messages_index", None, ("Order Messages", "Messages prédéfinis", "注文メッセージ")),
    ("AdminReturn", "AdminParentCustomerThreads", None, "admin_merchandise_returns_index", None, ("Merchandise Returns", "Retours produits", "返品")),
    ("AdminStats", "SELL", None, None, "assessment", ("Stats", "Statistiques", "統計")),
    ("IMPROVE", "", None, None, None, ("Improve", "Personnaliser", "改善")),
    ("AdminParentModulesSf", "IMPROVE", None, None, "extension", ("Modules", "Modules", "モジュール")),
    ("AdminModulesSf", "AdminParentModulesSf", None, "admin_module_manage", None, ("Module Manager", "Gestionnaire de modules", "モジュールマネージャー")),
    ("AdminParentThemes", "IMPROVE", None, None, "desktop_mac", ("Design", "Apparence", "デザイン")),
    ("AdminThemesParent", "AdminParentThemes", None, None, None, ("Theme & Logo", "Thème et logo", "テーマとロゴ")),
    ("AdminCmsContent", "AdminParentThemes", None, "admin_cms_pages_index", None, ("Pages", "Pages", "ページ")),
    ("AdminModulesPositions", "AdminParentThemes", None, None, None, ("Positions", "Positions", "ポジション")),
    ("AdminImages", "AdminParentThemes", None, None, None, ("Image Settings", "Images", "画像設定")),
    ("AdminLinkWidget", "AdminParentThemes", "ps_linklist", "admin_link_block_list", None, ("Link List", "Liste de liens", "リンクリスト")),
    ("AdminParentShipping", "IMPROVE", None, None, "local_shipping", ("Shipping", "Livraison", "配送")),
    ("AdminCarriers", "AdminParentShipping", None, "admin_carriers_index", None, ("Carriers", "Transporteurs", "配送業者")),
    ("AdminShipping", "AdminParentShipping", None, "admin_shipping_preferences", None, ("Preferences", "Préférences", "設定")),
    ("AdminParentPayment", "IMPROVE", None, None, "payment", ("Payment", "Paiement", "支払い")),
    ("AdminPayment", "AdminParentPayment", None, "admin_payment_methods", None, ("Payment Methods", "Moyens de paiement", "支払い方法")),
    ("AdminPaymentPreferences", "AdminParentPayment", None, "admin_payment_preferences", None, ("Preferences", "Préférences", "設定")),
    ("AdminInternational", "IMPROVE", None, None, "language", ("International", "International", "国際")),
    ("AdminParentLocalization", "AdminInternational", None, None, None, ("Localization", "Localisation", "ローカライゼーション")),
    ("AdminLocalization", "AdminParentLocalization", None, "admin_localization_index", None, ("Localization", "Localisation", "ローカライゼーション")),
    ("AdminLanguages", "AdminParentLocalization", None, "admin_languages_index", None, ("Languages", "Langues", "言語")),
    ("AdminCurrencies", "AdminParentLocalization", None, "admin_currencies_index", None, ("Currencies", "Devises", "通貨")),
    ("AdminTranslations", "AdminInternational", None, "admin_international_translation_overview", None, ("Translations", "Traductions", "翻訳")),
    ("CONFIGURE", "", None, None, None, ("Configure", "Configurer", "設定")),
    ("ShopParameters", "CONFIGURE", None, None, "settings", ("Shop Parameters", "Paramètres de la boutique", "ショップパラメータ")),
    ("AdminParentPreferences", "ShopParameters", None, None, None, ("General", "Paramètres généraux", "一般")),
    ("AdminPreferences", "AdminParentPreferences", None, "admin_preferences", None, ("General", "Général", "一般")),
    ("AdminMaintenance", "AdminParentPreferences", None, "admin_maintenance", None, ("Maintenance", "Maintenance", "メンテナンス")),
    ("AdminParentOrderPreferences", "ShopParameters", None, None, None, ("Order Settings", "Commandes", "注文設定")),
    ("AdminOrderPreferences", "AdminParentOrderPreferences", None, "admin_order_preferences", None, ("Order Settings", "Commandes", "注文設定")),
    ("AdminStatuses", "AdminParentOrderPreferences", None, "admin_order_states", None, ("Statuses", "États", "ステータス")),
    ("AdminPPreferences", "ShopParameters", None, "admin_product_preferences", None, ("Product Settings", "Produits", "商品設定")),
    ("AdminParentCustomerPreferences", "ShopParameters", None, None, None, ("Customer Settings", "Clients", "顧客設定")),
    ("AdminParentStores", "ShopParameters", None, None, None, ("Contact", "Contact", "連絡先")),
    ("AdminParentMeta", "ShopParameters", None, None, None, ("Traffic & SEO", "Trafic et SEO", "トラフィックとSEO")),
    ("AdminParentSearchConf", "ShopParameters", None, None, None, ("Search", "Rechercher", "検索")),
    ("AdminAdvancedParameters", "CONFIGURE", None, None, "settings_applications", ("Advanced Parameters", "Paramètres avancés", "高度なパラメータ")),
    ("AdminInformation", "AdminAdvancedParameters", None, "admin_system_information", None, ("Information", "Informations", "情報")),
    ("AdminPerformance", "AdminAdvancedParameters", None, "admin_performance", None, ("Performance", "Performances", "パフォーマンス")),
    ("AdminAdminPreferences", "AdminAdvancedParameters", None, "admin_administration", None, ("Administration", "Administration", "管理")),
    ("AdminEmails", "AdminAdvancedParameters", None, "admin_emails_index", None, ("E-mail", "E-mail", "メール")),
    ("AdminImport", "AdminAdvancedParameters", None, "admin_import", None, ("Import", "Importer", "インポート")),
    ("AdminParentEmployees", "AdminAdvancedParameters", None, None, None, ("Team", "Équipe", "チーム")),
    ("AdminEmployees", "AdminParentEmployees", None, "admin_employees_index", None, ("Employees", "Employés", "従業員")),
    ("AdminProfiles", "AdminParentEmployees", None, "admin_profiles_index", None, ("Profiles", "Profils", "プロフィール")),
    ("AdminAccess", "AdminParentEmployees", None, "admin_permissions_index", None, ("Permissions", "Permissions", "権限")),
    ("AdminParentRequestSql", "AdminAdvancedParameters", None, None, None, ("Database", "Base de données", "データベース")),
    ("AdminRequestSql", "AdminParentRequestSql", None, "admin_sql_requests_index", None, ("SQL Manager", "Gestionnaire SQL", "SQLマネージャー")),
    ("AdminBackup", "AdminParentRequestSql", None, "admin_backups_index", None, ("DB Backup", "Sauvegarde BDD", "DBバックアップ")),
    ("AdminLogs", "AdminAdvancedParameters", None, "admin_logs_index", None, ("Logs", "Logs", "ログ")),
    ("AdminWebservice", "AdminAdvancedParameters", None, "admin_webservice_keys_index", None, ("Webservice", "Webservice", "Webサービス")),
    ("AdminShopGroup", "AdminAdvancedParameters", None, None, None, ("Multistore", "Multiboutique", "マルチストア")),
    ("AdminFeatureFlag", "AdminAdvancedParameters", None, "admin_feature_flags_index", None,
     ("New & Experimental Features", "Fonctionnalités nouvelles et expérimentales", "新機能と実験的機能")),
    ("AdminSecurity", "AdminAdvancedParameters", None, "admin_security", None, ("Security", "Sécurité", "セキュリティ")),
    ("WishlistConfigurationAdminParentController", "AdminCatalog", "blockwishlist", None, None, ("Wishlist", "Liste d'envies", "ほしい物リスト")),
    ("WishlistConfigurationAdminController", "WishlistConfigurationAdminParentController", "blockwishlist", None, None,
     ("Configuration", "Configuration", "設定")),
    ("WishlistStatisticsAdminController", "WishlistConfigurationAdminParentController", "blockwishlist", None, None,
     ("Statistics", "Statistiques", "統計")),
    ("AdminMymodule", "AdminParentModulesSf", "mymodule", None, None, ("My module ✨", "Mon module « spécial »", "マイモジュール")),
    ("AdminMymoduleAjax", "-", "mymodule", None, None, ("My module (ajax)", "Mon module (ajax)", "マイモジュール (ajax)")),
)

# Tab classes the Logistician profile may open; it may also change orders and deliveries.
_LOGISTICIAN_READS = ("AdminDashboard", "SELL", "AdminParentOrders", "AdminOrders", "AdminDeliverySlip", "AdminParentCustomer",
                      "AdminCustomers", "AdminAddresses", "IMPROVE", "AdminParentShipping", "AdminCarriers", "AdminStockManagement")
_LOGISTICIAN_UPDATES = ("AdminOrders", "AdminDeliverySlip")
_LOGISTICIAN_MODULES = ("ps_wirepayment", "ps_checkpayment", "dashactivity")
_PERMISSIONS = ("CREATE", "READ", "UPDATE", "DELETE")

_HOOKS = (
    "displayHeader", "displayTop", "displayNav1", "displayNav2", "displayNavFullWidth", "displayHome", "displayLeftColumn",
    "displayRightColumn", "displayFooterBefore", "displayFooter", "displayFooterAfter", "displayProductAdditionalInfo",
    "displayReassurance", "displayShoppingCart", "displayShoppingCartFooter", "displayCustomerAccount", "displayMyAccountBlock",
    "displayOrderConfirmation", "displayPaymentReturn", "paymentOptions", "displayBackOfficeHeader", "displayAdminStatsModules",
    "dashboardZoneOne", "dashboardZoneTwo", "dashboardData", "displayProductListReviews", "displayProductListFunctionalButtons",
    "displayCrossSellingShoppingCart", "displayFooterProduct", "displaySearch", "displayCustomerLoginFormAfter",
    "displayAfterBodyOpeningTag", "displayBeforeBodyClosingTag", "actionFrontControllerSetMedia", "actionAdminControllerSetMedia",
    "actionCartSave", "actionValidateOrder", "actionOrderStatusUpdate", "actionOrderStatusPostUpdate", "actionCustomerAccountAdd",
    "actionAuthentication", "actionSearch", "actionProductAdd", "actionProductUpdate", "actionProductDelete",
    "actionObjectProductUpdateAfter", "actionObjectCategoryUpdateAfter", "actionCategoryUpdate", "actionShopDataDuplication",
    "actionDeleteGDPRCustomer", "actionExportGDPRData", "registerGDPRConsent", "actionModuleInstallAfter",
    "actionFeatureFormBuilderModifier", "actionObjectLanguageAddAfter", "actionAdminMaintenanceControllerPostProcessBefore",
    "additionalCustomerFormFields", "displayWrapperTop", "displayContentWrapperTop", "moduleRoutes",
)

_FIRST_NAMES = ("John", "Zoë", "Ángel", "François", "Björn", "Siobhán", "Łukasz", "Chloé", "Mário", "Ольга", "さくら", "Ana",
                "Jürgen", "Maëlle", "Nguyễn", "Søren", "Aïcha", "Li", "Émile", "Tomás")
_LAST_NAMES = ("O'Connor", "Müller", "García-López", "D'Artagnan", "Smith", "Øvregård", "山田", "王", "Dvořák", "N'Diaye",
               "Brontë", "Lefèvre", "Kowalski", "Nakamura", "Dupont", "MacLeod", "Fernández", "Çelik", "Åberg", "Ng")
_CITIES = (("Paris", "75011", 8), ("Zürich", "8001", 19), ("São Paulo", "01310-100", 58), ("東京", "150-0002", 11),
           ("Kraków", "31-042", 14), ("Reykjavík", "101", 109), ("L'Aquila", "67100", 10), ("Montréal", "H2X 1Y4", 4),
           ("New York", "10001", 21), ("Lyon", "69002", 8))
_STREETS = ("12 rue de l'Église", "Hauptstraße 5", "1-2-3 Shibuya", "221B Baker Street", "Calle Mayor, 7 – 2ºB",
            "ul. Floriańska 15", "5 avenue \"des Champs\"", "Laugavegur 4", "Via dell'Arcivescovado 1", "1200 Rue Sainte-Catherine")
_PRODUCTS = (
    (1, "Hummingbird printed t-shirt - Size : S- Color : White", 2390),
    (2, "Hummingbird printed sweater - Size : M", 3590),
    (3, "The best is yet to come' Framed poster - Dimension : 40x60cm", 2900),
    (4, "Mug « Today is a good day »", 1190),
    (5, "カップ ☕ — limited edition", 1490),
    (6, "Pack \"Mug + Framed poster\"", 3500),
    (7, "Brown bear notebook - Paper Type : Doted", 1290),
    (8, "Customizable mug 🐻", 1390),
    (9, "Backslash\\Sticker (die-cut)", 450),
    (10, "Cushion Zoë — 45×45 cm", 1890),
)
_SEARCH_KEYWORDS = ("chaussures", "t-shirt 'vintage'", "東京 tote bag", "café\\crème", "mug", "poster 40x60", "Zürich",
                    "carte cadeau", "\"exact phrase\"", "bear", "sweat à capuche", "ノート")
_REFERERS = (None, "", "https://www.google.com/search?q=caf%C3%A9&oq='x'", "https://duckduckgo.com/?q=mug+%22bear%22",
             "https://example.org/blog/l'été-2024", "android-app://com.google.android.gm/")
_LOG_MESSAGES = (
    "Back office connection from 127.0.0.1",
    "Exception: SQLSTATE[42S22]: Column not found: 1054 Unknown column 'x' in 'field list'",
    "Module mymodule: cannot write C:\\shop\\var\\logs\\mymodule.log",
    "Protect vendor folder in module ps_facetedsearch",
    "Commande n°42 créée — paiement « virement »",
    "Frontcontroller::init - Cart cannot be loaded or an order has already been placed using this cart",
    "Swift_TransportException: Connection could not be established with host smtp.example.com :stream_socket_client(): 🙈",
)
_PAYMENTS = (("Bank transfer", "ps_wirepayment"), ("Payments by check", "ps_checkpayment"))
_BASE_TIME = datetime(2023, 1, 2, 9, 0, 0)
_INSTALL_TIME = "2023-01-02 08:30:00"


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}0000"


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _slug(name: str, fallback: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", _ascii(name).lower()).strip("-") or fallback


class _ShopData:
    """Rows for every table, generated in a fixed order from one seeded random generator."""

    def __init__(self, facts: ShopDbFacts) -> None:
        self.facts = facts
        self.random = random.Random(facts.seed)
        self.shop_ids = list(range(1, len(facts.shop_names) + 1))
        self.lang_ids = [language[0] for language in _LANGUAGES]
        installed = [name for name, _version, _active in facts.modules]
        self.module_ids = {name: index for index, name in enumerate(installed, 1)}
        self.tabs = [tab for tab in _TABS if tab[2] is None or tab[2] in self.module_ids]
        self.tab_ids = {tab[0]: index for index, tab in enumerate(self.tabs, 1)}
        self.customers = 200 * facts.scale
        self.guests = 300 * facts.scale
        self.addresses: dict[int, list[int]] = {}
        self.multilingual_ids: dict[str, int] = {}
        self.role_ids: dict[str, int] = {}

    def tables(self) -> Iterator[tuple[str, Sequence[str], list[tuple[Any, ...]]]]:
        """(table, columns, rows) in insertion order; later tables refer to ids handed out by earlier ones."""
        generators = (
            self.shop_group, self.shop, self.shop_url, self.lang, self.lang_shop, self.configuration, self.configuration_lang,
            self.profile, self.profile_lang, self.employee, self.tab, self.tab_lang, self.module, self.module_shop,
            self.authorization_role, self.access, self.module_access, self.hook, self.hook_module, self.customer, self.address,
            self.guest, self.cart_and_orders, self.connections, self.statssearch, self.search_index, self.log,
            self.mymodule_blob,
        )
        for generate in generators:
            yield from generate()

    # --- helpers ---------------------------------------------------------------------------------------------------

    def moment(self, start_days: float = 0.0, span_days: float = 500.0) -> datetime:
        return _BASE_TIME + timedelta(seconds=int((start_days + self.random.random() * span_days) * 86400))

    @staticmethod
    def text(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%d %H:%M:%S")

    def token(self, length: int, alphabet: str = "0123456789abcdef") -> str:
        return "".join(self.random.choice(alphabet) for _position in range(length))

    def bcrypt_like(self) -> str:
        return "$2y$10$" + self.token(53, "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    def shop_for(self, index: int) -> int:
        return self.shop_ids[index % len(self.shop_ids)]

    def blank(self, value: Any, null_weight: float = 0.3, empty_weight: float = 0.2) -> Any:
        """NULL, empty string or value: real shops hold both kinds of nothing, often in the same column."""
        draw = self.random.random()
        if draw < null_weight:
            return None
        if draw < null_weight + empty_weight:
            return ""
        return value

    # --- shops, languages, configuration ----------------------------------------------------------------------------

    def shop_group(self) -> Iterator[tuple[str, Sequence[str], list[tuple[Any, ...]]]]:
        yield "shop_group", ("id_shop_group", "name", "color", "share_customer", "share_order", "share_stock", "active", "deleted"), \
            [(1, "Default", "", 0, 0, 0, 1, 0)]

    def shop(self) -> Iterator[tuple[str, Sequence[str], list[tuple[Any, ...]]]]:
        colors = ("", "#25b9d7", "#e6a817", "#72c279")
        rows = [(shop_id, 1, name, colors[(shop_id - 1) % len(colors)], 2, "classic", 1, 0)
                for shop_id, name in zip(self.shop_ids, self.facts.shop_names)]
        yield "shop", ("id_shop", "id_shop_group", "name", "color", "id_category", "theme_name", "active", "deleted"), rows

    def shop_url(self) -> Iterator[tuple[str, Sequence[str], list[tuple[Any, ...]]]]:
        base_uri = "/" + self.facts.base_uri.strip("/") + "/" if self.facts.base_uri.strip("/") else "/"
        rows = []
        for shop_id, name in zip(self.shop_ids, self.facts.shop_names):
            virtual_uri = "" if shop_id == 1 else _slug(name, f"shop{shop_id}") + "/"
            rows.append((shop_id, shop_id, self.facts.domain, self.facts.domain, base_uri, virtual_uri, 1, 1))
        yield "shop_url", ("id_shop_url", "id_shop", "domain", "domain_ssl", "physical_uri", "virtual_uri", "main", "active"), rows

    def lang(self) -> Iterator[tuple[str, Sequence[str], list[tuple[Any, ...]]]]:
        rows = [(id_lang, name, 1, iso, code, locale, lite, full, 0) for id_lang, name, iso, code, locale, lite, full in _LANGUAGES]
        yield "lang", ("id_lang", "name", "active", "iso_code", "language_code", "locale", "date_format_lite", "date_format_full",
                       "is_rtl"), rows

    def lang_shop(self) -> Iterator[tuple[str, Sequence[str], list[tuple[Any, ...]]]]:
        yield "lang_shop", ("id_lang", "id_shop"), [(id_lang, shop) for id_lang in self.lang_ids for shop in self.shop_ids]

    def configuration_entries(self) -> list[tuple[int | None, int | None, str, str | None]]:
        """(id_shop_group, id_shop, name, value): global rows, then the group and shop rows a multistore shop has."""
        facts = self.facts
        single_shop_down = not facts.multistore and 1 in facts.shops_in_maintenance
        global_values: list[tuple[str, str | None]] = [
            ("PS_LANG_DEFAULT", "1"), ("PS_VERSION_DB", facts.ps_version_db), ("PS_INSTALL_VERSION", facts.install_version),
            ("PS_SHOP_DEFAULT", "1"), ("PS_CURRENCY_DEFAULT", "1"), ("PS_COUNTRY_DEFAULT", "8"), ("PS_TIMEZONE", "Europe/Paris"),
            ("PS_SHOP_ENABLE", "0" if single_shop_down else "1"), ("PS_MAINTENANCE_IP", facts.maintenance_ips),
            ("PS_MAINTENANCE_ALLOW_ADMINS", "1"), ("PS_SHOP_DOMAIN", facts.domain), ("PS_SHOP_DOMAIN_SSL", facts.domain),
            ("PS_SSL_ENABLED", "0"), ("PS_SSL_ENABLED_EVERYWHERE", "0"),
            ("PS_MULTISHOP_FEATURE_ACTIVE", "1" if facts.multistore else "0"), ("PS_SHOP_NAME", facts.shop_names[0]),
            ("PS_SHOP_EMAIL", "contact@" + facts.domain), ("PS_SHOP_ACTIVITY", "2"), ("PS_SHOP_DETAILS", ""),
            ("PS_SHOP_ADDR1", "12 rue de l'Église"), ("PS_SHOP_CITY", "Besançon"), ("PS_SHOP_PHONE", None),
            ("PS_REWRITING_SETTINGS", "1"), ("PS_SMARTY_FORCE_COMPILE", "0"), ("PS_SMARTY_CACHE", "1"),
            ("PS_SMARTY_CACHING_TYPE", "filesystem"), ("PS_SMARTY_CLEAR_CACHE", "everytime"), ("PS_CSS_THEME_CACHE", "0"),
            ("PS_JS_THEME_CACHE", "0"), ("PS_HTACCESS_CACHE_CONTROL", "0"), ("PS_DISABLE_NON_NATIVE_MODULE", "0"),
            ("PS_DISABLE_OVERRIDES", "0"), ("PS_MAIL_METHOD", "1"), ("PS_MAIL_SERVER", "smtp."), ("PS_MAIL_USER", None),
            ("PS_MAIL_PASSWD", ""), ("PS_MAIL_SMTP_ENCRYPTION", "off"), ("PS_MAIL_SMTP_PORT", "25"), ("PS_STOCK_MANAGEMENT", "1"),
            ("PS_ORDER_OUT_OF_STOCK", "0"), ("PS_TAX", "1"), ("PS_PRICE_ROUND_MODE", "2"), ("PS_ROUND_TYPE", "1"),
            ("PS_GUEST_CHECKOUT_ENABLED", "1"), ("PS_CONDITIONS", "1"), ("PS_CONDITIONS_CMS_ID", "3"), ("PS_LOGO", "logo.png"),
            ("PS_FAVICON", "favicon.ico"), ("PS_CATALOG_MODE", "0"), ("PS_ALLOW_HTML_IFRAME", "0"), ("PS_LEGACY_IMAGES", "0"),
            ("PS_HIDE_OPTIMIZATION_TIS", "1"), ("PS_NEED_REBUILD_INDEX", "0"), ("PS_CCCJS_VERSION", "3"), ("PS_CCCCSS_VERSION", "3"),
            ("PS_OS_CHEQUE", "1"), ("PS_OS_PAYMENT", "2"), ("PS_OS_BANKWIRE", "10"), ("PS_INVOICE", "1"), ("PS_ORDER_RETURN", "0"),
            ("BANK_WIRE_OWNER", "Ça coûte € — SARL « L'Épicerie »"), ("BANK_WIRE_DETAILS", "IBAN FR76 3000 6000 0112 3456 7890 189\nBIC AGRIFRPP"),
            ("MYMODULE_SETTINGS", '{"path":"C:\\\\shop\\\\export","label":"It\'s \\"on\\"","emoji":"🚚"}'),
            ("MYMODULE_SECRET", self.token(32)),
        ]
        entries: list[tuple[int | None, int | None, str, str | None]] = [(None, None, name, value) for name, value in global_values]
        entries += [(None, None, name, None) for name in _MULTILINGUAL_KEYS]
        if facts.multistore:
            entries.append((1, None, "PS_SHOP_ENABLE", "1"))
            entries += [(1, shop, "PS_SHOP_ENABLE", "0") for shop in sorted(set(facts.shops_in_maintenance))]
            entries += [(1, shop, "PS_SHOP_NAME", name) for shop, name in zip(self.shop_ids[1:], facts.shop_names[1:])]
        return entries

    def configuration(self) -> Iterator[tuple[str, Sequence[str], list[tuple[Any, ...]]]]:
        rows = []
        for id_configuration, (group, shop, name, value) in enumerate(self.configuration_entries(), 1):
            updated = self.text(self.moment(0, 400))
            rows.append((id_configuration, group, shop, name, value, _INSTALL_TIME, updated))
        self.multilingual_ids = {name: row[0] for row in rows for name in (row[3],) if name in _MULTILINGUAL_KEYS and row[1] is None}
        yield "configuration", ("id_configuration", "id_shop_group", "id_shop", "name", "value", "date_add", "date_upd"), rows

    def configuration_lang(self) -> Iterator[tuple[str, Sequence[str], list[tuple[Any, ...]]]]:
        rows = []
        for name, values in _MULTILINGUAL_KEYS.items():
            for id_lang, value in zip(self.lang_ids, values):
                rows.append((self.multilingual_ids[name], id_lang, value, None if value is None else _INSTALL_TIME))
        yield "configuration_lang", ("id_configuration", "id_lang", "value", "date_upd"), rows

    # --- back office: profiles, employees, tabs, modules, permissions -----------------------------------------------

    def profile(self) -> Iterator[tuple[str, Sequence[str], list[tuple[Any, ...]]]]:
        yield "profile", ("id_profile",), [(1,), (2,)]

    def profile_lang(self) -> Iterator[tuple[str, Sequence[str], list[tuple[Any, ...]]]]:
        names = {1: ("SuperAdmin", "SuperAdmin", "スーパー管理者"), 2: ("Logistician", "Logisticien", "物流担当")}
        rows = [(id_lang, profile, names[profile][index]) for profile in names for index, id_lang in enumerate(self.lang_ids)]
        yield "profile_lang", ("id_lang", "id_profile", "name"), rows

    def employee(self) -> Iterator[tuple[str, Sequence[str], list[tuple[Any, ...]]]]:
        columns = ("id_employee", "id_profile", "id_lang", "lastname", "firstname", "email", "passwd", "last_passwd_gen",
                   "stats_date_from", "stats_date_to", "stats_compare_from", "stats_compare_to", "preselect_date_range", "bo_color",
                   "bo_theme", "bo_css", "default_tab", "bo_width", "bo_menu", "active", "optin", "id_last_order",
                   "id_last_customer_message", "id_last_customer", "last_connection_date", "reset_password_token",
                   "reset_password_validity", "has_enabled_gravatar")
        dashboard = self.tab_ids["AdminDashboard"]
        people = ((1, 1, "Admin", "Shop", "admin@example.com", 1), (2, 2, "Lefèvre", "Maëlle", "logistique@example.com", 1),
                  (3, 2, "O'Brien", "Seán", "former.employee@example.com", 0))
        rows = []
        for id_employee, profile, lastname, firstname, email, active in people:
            since = self.moment(0, 300)
            rows.append((id_employee, profile, 1 + (id_employee - 1) % len(self.lang_ids), lastname, firstname, email, self.bcrypt_like(),
                         self.text(since), since.date().isoformat(), (since + timedelta(days=30)).date().isoformat(),
                         None, None, self.blank("", 0.5, 0.5), None, "default", "theme.css", dashboard, 0, 1, active,
                         self.random.choice((None, 0, 1)), 0, 0, 0, self.blank(since.date().isoformat(), 0.3, 0.0),
                         None, ZERO_DATETIME if id_employee == 3 else None, 0))
        yield "employee", columns, rows

    def tab(self) -> Iterator[tuple[str, Sequence[str], list[tuple[Any, ...]]]]:
        positions: dict[int, int] = {}
        rows = []
        for class_name, parent, module, route, icon, names in self.tabs:
            id_parent = {"": 0, "-": -1}.get(parent, self.tab_ids.get(parent, -1))
            position = positions.get(id_parent, 0)
            positions[id_parent] = position + 1
            wording, domain = (names[0], "Admin.Navigation.Menu") if module is None else (None, None)
            rows.append((self.tab_ids[class_name], id_parent, position, module, class_name, route, 1, 1, icon, wording, domain))
        yield "tab", ("id_tab", "id_parent", "position", "module", "class_name", "route_name", "active", "enabled", "icon",
                      "wording", "wording_domain"), rows

    def tab_lang(self) -> Iterator[tuple[str, Sequence[str], list[tuple[Any, ...]]]]:
        rows = [(self.tab_ids[tab[0]], id_lang, tab[5][index]) for tab in self.tabs for index, id_lang in enumerate(self.lang_ids)]
        yield "tab_lang", ("id_tab", "id_lang", "name"), rows

    def module(self) -> Iterator[tuple[str, Sequence[str], list[tuple[Any, ...]]]]:
        rows = [(self.module_ids[name], name, int(active), version) for name, version, active in self.facts.modules]
        yield "module", ("id_module", "name", "active", "version"), rows

    def module_shop(self) -> Iterator[tuple[str, Sequence[str], list[tuple[Any, ...]]]]:
        active = [name for name, _version, is_active in self.facts.modules if is_active]
        rows = []
        for name in active:
            for shop in self.shop_ids:
                # Per-shop activation: in a multistore, the last active module stays off outside the main shop.
                if shop > 1 and name == active[-1]:
                    continue
                rows.append((self.module_ids[name], shop, 7))
        yield "module_shop", ("id_module", "id_shop", "enable_device"), rows

    def authorization_role(self) -> Iterator[tuple[str, Sequence[str], list[tuple[Any, ...]]]]:
        slugs = [f"ROLE_MOD_TAB_{tab[0].upper()}_{permission}" for tab in self.tabs for permission in _PERMISSIONS]
        slugs += [f"ROLE_MOD_MODULE_{name.upper()}_{permission}" for name in self.module_ids for permission in _PERMISSIONS]
        self.role_ids = {slug: index for index, slug in enumerate(slugs, 1)}
        yield "authorization_role", ("id_authorization_role", "slug"), [(index, slug) for slug, index in self.role_ids.items()]

    def access(self) -> Iterator[tuple[str, Sequence[str], list[tuple[Any, ...]]]]:
        rows = [(1, role) for slug, role in self.role_ids.items() if slug.startswith("ROLE_MOD_TAB_")]
        granted = [f"ROLE_MOD_TAB_{name.upper()}_READ" for name in _LOGISTICIAN_READS]
        granted += [f"ROLE_MOD_TAB_{name.upper()}_UPDATE" for name in _LOGISTICIAN_UPDATES]
        rows += sorted((2, self.role_ids[slug]) for slug in granted if slug in self.role_ids)
        yield "access", ("id_profile", "id_authorization_role"), rows

    def module_access(self) -> Iterator[tuple[str, Sequence[str], list[tuple[Any, ...]]]]:
        rows = [(1, role) for slug, role in self.role_ids.items() if slug.startswith("ROLE_MOD_MODULE_")]
        granted = [f"ROLE_MOD_MODULE_{name.upper()}_{permission}" for name in _LOGISTICIAN_MODULES for permission in ("READ", "UPDATE")]
        rows += sorted((2, self.role_ids[slug]) for slug in granted if slug in self.role_ids)
        yield "module_access", ("id_profile", "id_authorization_role"), rows

    def hook(self) -> Iterator[tuple[str, Sequence[str], list[tuple[Any, ...]]]]:
        rows = []
        for id_hook, name in enumerate(_HOOKS, 1):
            displayed = name.startswith(("display", "dashboard"))
            title = re.sub(r"(?<!^)(?=[A-Z])", " ", name).capitalize()
            description = self.random.choice((None, "", f"Called on the '{name}' event", f"Hook \"{name}\" — displayed in the BO"))
            rows.append((id_hook, name, title, description, 1, int(displayed)))
        yield "hook", ("id_hook", "name", "title", "description", "active", "position"), rows

    def hook_module(self) -> Iterator[tuple[str, Sequence[str], list[tuple[Any, ...]]]]:
        next_position: dict[tuple[int, int], int] = {}
        rows = []
        for id_module in self.module_ids.values():
            for id_hook in sorted(self.random.sample(range(1, len(_HOOKS) + 1), self.random.randint(2, 5))):
                for shop in self.shop_ids:
                    position = next_position.get((shop, id_hook), 1)
                    next_position[(shop, id_hook)] = position + 1
                    rows.append((id_module, shop, id_hook, position))
        yield "hook_module", ("id_module", "id_shop", "id_hook", "position"), rows

    # --- front office: customers, carts, orders, statistics --------------------------------------------------------

    def customer(self) -> Iterator[tuple[str, Sequence[str], list[tuple[Any, ...]]]]:
        columns = ("id_customer", "id_shop_group", "id_shop", "id_gender", "id_default_group", "id_lang", "id_risk", "company", "siret",
                   "ape", "firstname", "lastname", "email", "passwd", "last_passwd_gen", "birthday", "newsletter",
                   "ip_registration_newsletter", "newsletter_date_add", "optin", "website", "outstanding_allow_amount",
                   "show_public_prices", "max_payment_days", "secure_key", "note", "active", "is_guest", "deleted", "date_add",
                   "date_upd", "reset_password_token", "reset_password_validity")
        rows = []
        for id_customer in range(1, self.customers + 1):
            first, last = self.random.choice(_FIRST_NAMES), self.random.choice(_LAST_NAMES)
            created = self.moment(0, 450)
            subscribed = self.random.random() < 0.4
            note = TRICKY_TEXTS[id_customer - 1] if id_customer <= len(TRICKY_TEXTS) else self.blank("Prefers delivery after 6 pm 🕕", 0.6, 0.3)
            birthday = self.random.choice((None, ZERO_DATE, f"{self.random.randint(1940, 2005)}-{self.random.randint(1, 12):02d}-15"))
            rows.append((
                id_customer, 1, self.shop_for(id_customer), self.random.randint(0, 2), 3, self.random.choice([None, *self.lang_ids]),
                0, self.blank(f"{last} & Fils SARL", 0.5, 0.3), None, None, first, last,
                f"{_email_local_part(last)}.{id_customer}@example.{self.random.choice(('com', 'fr', 'jp'))}",
                self.bcrypt_like(), self.text(created), birthday, int(subscribed), f"192.0.2.{id_customer % 250}" if subscribed else None,
                self.text(created) if subscribed else None, int(self.random.random() < 0.2), None, "0.000000", 0, 0, self.token(32), note,
                int(self.random.random() < 0.95), int(self.random.random() < 0.1), 0, self.text(created),
                self.text(created + timedelta(days=self.random.randint(0, 60))), None,
                self.random.choice((None, ZERO_DATETIME)),
            ))
        yield "customer", columns, rows

    def address(self) -> Iterator[tuple[str, Sequence[str], list[tuple[Any, ...]]]]:
        columns = ("id_address", "id_country", "id_state", "id_customer", "id_manufacturer", "id_supplier", "id_warehouse", "alias",
                   "company", "lastname", "firstname", "address1", "address2", "postcode", "city", "other", "phone", "phone_mobile",
                   "vat_number", "dni", "date_add", "date_upd", "active", "deleted")
        rows = []
        for id_customer in range(1, self.customers + 1):
            for _address in range(1 if self.random.random() < 0.75 else 2):
                id_address = len(rows) + 1
                city, postcode, country = self.random.choice(_CITIES)
                created = self.text(self.moment(0, 450))
                self.addresses.setdefault(id_customer, []).append(id_address)
                rows.append((
                    id_address, country, self.random.choice((None, 0)), id_customer, 0, 0, 0,
                    self.random.choice(("My address", "Mon adresse", "自宅", "Bureau")), self.blank("ACME \\ Sons Ltd.", 0.4, 0.4),
                    self.random.choice(_LAST_NAMES), self.random.choice(_FIRST_NAMES), self.random.choice(_STREETS),
                    self.blank("Apt 4, 2ème étage", 0.4, 0.4), postcode, city, self.blank("Code porte: 1234#", 0.5, 0.3),
                    self.blank(f"+33 6 12 34 {id_address % 100:02d} 78", 0.3, 0.1), self.blank("+81 90-1234-5678", 0.6, 0.2),
                    None, self.blank("X1234567", 0.5, 0.4), created, created, 1, int(self.random.random() < 0.05),
                ))
        yield "address", columns, rows

    def guest(self) -> Iterator[tuple[str, Sequence[str], list[tuple[Any, ...]]]]:
        columns = ("id_guest", "id_operating_system", "id_web_browser", "id_customer", "javascript", "screen_resolution_x",
                   "screen_resolution_y", "screen_color", "sun_java", "adobe_flash", "adobe_director", "apple_quicktime", "real_player",
                   "windows_media", "accept_language", "mobile_theme")
        rows = []
        for id_guest in range(1, self.guests + 1):
            detailed = self.random.random() < 0.3
            customer = self.random.randint(1, self.customers) if self.random.random() < 0.4 else self.random.choice((None, 0))
            rows.append((id_guest, self.random.choice((None, 1, 2, 3, 7)), self.random.choice((None, 3, 5, 11)), customer, int(detailed),
                         1920 if detailed else None, 1080 if detailed else None, 24 if detailed else None,
                         *([0] * 6 if detailed else [None] * 6), self.random.choice((None, "fr", "en", "ja", "de-ch")), 0))
        yield "guest", columns, rows

    def cart_and_orders(self) -> Iterator[tuple[str, Sequence[str], list[tuple[Any, ...]]]]:
        carts, orders, details = [], [], []
        for id_cart in range(1, 300 * self.facts.scale + 1):
            id_customer = self.random.randint(1, self.customers) if self.random.random() < 0.8 else 0
            address = self.random.choice(self.addresses[id_customer]) if id_customer else 0
            created = self.moment(0, 480)
            shop = self.shop_for(id_cart)
            id_lang = self.random.choice(self.lang_ids)
            carts.append(self.cart_row(id_cart, shop, id_customer, address, id_lang, created))
            if id_customer and self.random.random() < 0.6:
                id_order = len(orders) + 1
                lines = [self.order_line(id_order, shop, len(details) + index + 1) for index in range(self.random.randint(1, 4))]
                details += lines
                orders.append(self.order_row(id_order, id_cart, shop, id_customer, address, id_lang, created, lines))
        yield "cart", _CART_COLUMNS, carts
        yield "orders", _ORDER_COLUMNS, orders
        yield "order_detail", _ORDER_DETAIL_COLUMNS, details

    def cart_row(self, id_cart: int, shop: int, id_customer: int, address: int, id_lang: int, created: datetime) -> tuple[Any, ...]:
        carrier = self.random.choice((1, 2))
        session = self.random.choice((
            None, "",
            '{"checkout-personal-information-step":{"step_is_reachable":true,"step_is_complete":true},'
            '"checkout-addresses-step":{"use_same_address":true},"checksum":"' + self.token(40) + '","url":"https:\\/\\/shop\\/"}',
        ))
        return (id_cart, 1, shop, carrier, f'{{"{address}":"{carrier},"}}' if address else "", id_lang, address, address, 1,
                id_customer, self.random.randint(1, self.guests), self.token(32), 1, 0, self.blank("Joyeux anniversaire ! 🎂", 0.5, 0.3),
                0, 0, self.text(created), self.text(created + timedelta(minutes=self.random.randint(1, 90))), session)

    def order_line(self, id_order: int, shop: int, id_order_detail: int) -> tuple[Any, ...]:
        product, name, unit_cents = self.random.choice(_PRODUCTS)
        quantity = self.random.randint(1, 3)
        unit_incl = unit_cents * 12 // 10
        return (id_order_detail, id_order, 0, 0, shop, product, self.random.choice((0, product * 10 + 1)), 0, name, quantity, quantity,
                0, 0, 0, _money(unit_cents), "0.00", "0.000000", "0.000000", "0.000000", "0.00", "0.000000",
                self.blank("3700000000017", 0.5, 0.4), None, self.blank("", 0.5, 0.5), None, f"demo_{product}", "", "0.300000", 1, 0,
                self.random.choice(("", "TVA FR 20%")), "20.000", "0.000000", "0.000", 0, "", 0, self.random.choice((None, ZERO_DATETIME)),
                _money(unit_incl * quantity), _money(unit_cents * quantity), _money(unit_incl), _money(unit_cents), "0.000000", "0.000000",
                _money(unit_cents // 2), _money(unit_cents), _money(unit_cents // 2), "0.000000", "0.000000")

    def order_row(self, id_order: int, id_cart: int, shop: int, id_customer: int, address: int, id_lang: int, created: datetime,
                  lines: list[tuple[Any, ...]]) -> tuple[Any, ...]:
        products_excl = sum(line[9] * _cents(line[14]) for line in lines)
        products_incl = products_excl * 12 // 10
        shipping_excl = self.random.choice((0, 700, 1000))
        shipping_incl = shipping_excl * 12 // 10
        paid_incl, paid_excl = products_incl + shipping_incl, products_excl + shipping_excl
        state = self.random.choice((1, 2, 3, 4, 5, 6, 8, 10))
        invoiced = state in (2, 3, 4, 5)
        payment, module = self.random.choice(_PAYMENTS)
        invoice_date = self.text(created + timedelta(hours=2)) if invoiced else ZERO_DATETIME
        delivery_date = self.text(created + timedelta(days=3)) if state == 5 else ZERO_DATETIME
        return (id_order, self.token(9, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"), 1, shop, self.random.choice((1, 2)), id_lang, id_customer, id_cart,
                1, address, address, state, self.token(32), payment, "1.000000", module, 0, 0, "", 0, "0.000000", "0.000000", "0.000000",
                _money(paid_incl), _money(paid_incl), _money(paid_excl), _money(paid_incl if invoiced else 0), _money(products_excl),
                _money(products_incl), _money(shipping_incl), _money(shipping_incl), _money(shipping_excl), "20.000", "0.000000",
                "0.000000", "0.000000", 2, 1, id_order if invoiced else 0, id_order if state == 5 else 0, invoice_date, delivery_date,
                int(invoiced), self.text(created), self.text(created + timedelta(hours=3)), self.blank("Leave at the door, s'il vous plaît", 0.6, 0.3))

    def connections(self) -> Iterator[tuple[str, Sequence[str], list[tuple[Any, ...]]]]:
        connections, pages, sources = [], [], []
        for id_connections in range(1, 400 * self.facts.scale + 1):
            started = self.moment(0, 480)
            ip_address = self.random.choice((None, 0, 2130706433, 3221225985 + id_connections))
            connections.append((id_connections, 1, self.shop_for(id_connections), self.random.randint(1, self.guests),
                                self.random.randint(1, 50), ip_address, self.text(started), self.random.choice(_REFERERS)))
            for step in range(self.random.randint(1, 3)):
                time_start = started + timedelta(seconds=40 * step)
                time_end = None if self.random.random() < 0.3 else self.text(time_start + timedelta(seconds=self.random.randint(5, 300)))
                pages.append((id_connections, self.random.randint(1, 50), self.text(time_start), time_end))
            if self.random.random() < 0.4:
                sources.append((len(sources) + 1, id_connections, self.random.choice(_REFERERS), self.random.choice(
                    ("/", "/en/", "/fr/accueil", "/2-home?q=caf%C3%A9", "/ja/東京")), self.blank(self.random.choice(_SEARCH_KEYWORDS), 0.4, 0.3),
                    self.text(started)))
        yield "connections", ("id_connections", "id_shop_group", "id_shop", "id_guest", "id_page", "ip_address", "date_add",
                              "http_referer"), connections
        yield "connections_page", ("id_connections", "id_page", "time_start", "time_end"), pages
        yield "connections_source", ("id_connections_source", "id_connections", "http_referer", "request_uri", "keywords",
                                     "date_add"), sources

    def statssearch(self) -> Iterator[tuple[str, Sequence[str], list[tuple[Any, ...]]]]:
        # statssearch is a 3-byte utf8 table: keywords stay inside the Basic Multilingual Plane, as they must in real shops.
        rows = [(index, self.shop_for(index), 1, self.random.choice(_SEARCH_KEYWORDS), self.random.randint(0, 40),
                 self.text(self.moment(0, 480))) for index in range(1, 100 * self.facts.scale + 1)]
        yield "statssearch", ("id_statssearch", "id_shop", "id_shop_group", "keywords", "results", "date_add"), rows

    def search_index(self) -> Iterator[tuple[str, Sequence[str], list[tuple[Any, ...]]]]:
        rows = []
        for id_product in range(1, 50 * self.facts.scale + 1):
            for id_word in sorted(self.random.sample(range(1, 400 * self.facts.scale + 1), 10)):
                rows.append((id_product, id_word, self.random.randint(1, 12)))
        yield "search_index", ("id_product", "id_word", "weight"), rows

    def log(self) -> Iterator[tuple[str, Sequence[str], list[tuple[Any, ...]]]]:
        rows = []
        for id_log in range(1, 150 * self.facts.scale + 1):
            logged = self.text(self.moment(0, 480))
            object_type = self.random.choice((None, "", "Cart", "Order", "Customer", "Module"))
            rows.append((id_log, self.random.randint(1, 4), self.random.choice((None, 0, 1, 42)), self.random.choice(_LOG_MESSAGES),
                         object_type, self.random.randint(1, 300) if object_type else None, self.random.choice((None, *self.shop_ids)),
                         self.random.choice((None, 1)), self.random.choice((None, 1)), int(self.random.random() < 0.1),
                         self.random.choice((None, 1, 2)), logged, logged))
        yield "log", ("id_log", "severity", "error_code", "message", "object_type", "object_id", "id_shop", "id_shop_group", "id_lang",
                      "in_all_shops", "id_employee", "date_add", "date_upd"), rows

    def mymodule_blob(self) -> Iterator[tuple[str, Sequence[str], list[tuple[Any, ...]]]]:
        scores = (None, 0.1, 1e-300, 1.7976931348623157e308, 3.141592653589793, 2 / 3, -273.15)
        rows = []
        for index in range(1, 40 * self.facts.scale + 1):
            if index == 1:
                payload = SPECIAL_BLOB
            elif index == 2:
                payload = b""
            else:
                payload = self.random.randbytes(self.random.randint(16, 4096))
                cut = self.random.randint(0, len(payload))
                payload = payload[:cut] + b"\x00'\\\"\r\n\x1a" + payload[cut:]
            thumbnail = None if index % 3 else self.random.randbytes(64)
            checked_at = ZERO_DATETIME if index % 4 == 0 else self.text(self.moment(0, 480))
            valid_until = self.random.choice((None, ZERO_DATE, "2030-12-31"))
            label = self.blank(f"Pièce jointe n°{index} 📎 — «{self.random.choice(_FIRST_NAMES)}»", 0.2, 0.2)
            rows.append((index, self.shop_for(index), label, payload, thumbnail, scores[index % len(scores)], checked_at, valid_until,
                         self.text(self.moment(0, 480))))
        yield "mymodule_blob", ("id_mymodule_blob", "id_shop", "label", "payload", "thumbnail", "score", "checked_at",
                                "valid_until", "date_add"), rows


def _email_local_part(name: str) -> str:
    # Apostrophes are valid in e-mail addresses and real customers have them ("o'connor.12@...").
    return re.sub(r"[^a-z'-]+", "", _ascii(name).lower()).strip("-") or "client"


def _cents(money: str) -> int:
    units, _dot, fraction = money.partition(".")
    return int(units) * 100 + int(fraction[:2])


# Multilingual keys keep NULL in configuration and their text per language in configuration_lang.
_MULTILINGUAL_KEYS: dict[str, tuple[str | None, ...]] = {
    "PS_MAINTENANCE_TEXT": ("We are currently updating our shop and will be back really soon.\r\nThanks for your patience.",
                            "Nous mettons à jour notre boutique, nous revenons très vite.\r\nMerci de votre patience.",
                            "ただいまショップを更新中です。まもなく再開します。"),
    "PS_INVOICE_PREFIX": ("#IN", "#FA", "#IN"),
    "PS_DELIVERY_PREFIX": ("#DE", "#LI", "#DE"),
    "PS_CREDIT_SLIP_PREFIX": ("#CS", "#AV", None),
    "PS_LABEL_IN_STOCK_PRODUCTS": ("In Stock", "En stock", "在庫あり"),
    "PS_LABEL_OOS_PRODUCTS_BOA": ("Product available for orders", "Produit disponible à la commande", ""),
    "PS_LABEL_OOS_PRODUCTS_BOD": ("Out-of-Stock", "Rupture de stock", "在庫切れ"),
}

_CART_COLUMNS = ("id_cart", "id_shop_group", "id_shop", "id_carrier", "delivery_option", "id_lang", "id_address_delivery",
                 "id_address_invoice", "id_currency", "id_customer", "id_guest", "secure_key", "recyclable", "gift", "gift_message",
                 "mobile_theme", "allow_seperated_package", "date_add", "date_upd", "checkout_session_data")
_ORDER_COLUMNS = ("id_order", "reference", "id_shop_group", "id_shop", "id_carrier", "id_lang", "id_customer", "id_cart", "id_currency",
                  "id_address_delivery", "id_address_invoice", "current_state", "secure_key", "payment", "conversion_rate", "module",
                  "recyclable", "gift", "gift_message", "mobile_theme", "total_discounts", "total_discounts_tax_incl",
                  "total_discounts_tax_excl", "total_paid", "total_paid_tax_incl", "total_paid_tax_excl", "total_paid_real",
                  "total_products", "total_products_wt", "total_shipping", "total_shipping_tax_incl", "total_shipping_tax_excl",
                  "carrier_tax_rate", "total_wrapping", "total_wrapping_tax_incl", "total_wrapping_tax_excl", "round_mode", "round_type",
                  "invoice_number", "delivery_number", "invoice_date", "delivery_date", "valid", "date_add", "date_upd", "note")
_ORDER_DETAIL_COLUMNS = ("id_order_detail", "id_order", "id_order_invoice", "id_warehouse", "id_shop", "product_id",
                         "product_attribute_id", "id_customization", "product_name", "product_quantity", "product_quantity_in_stock",
                         "product_quantity_refunded", "product_quantity_return", "product_quantity_reinjected", "product_price",
                         "reduction_percent", "reduction_amount", "reduction_amount_tax_incl", "reduction_amount_tax_excl",
                         "group_reduction", "product_quantity_discount", "product_ean13", "product_isbn", "product_upc", "product_mpn",
                         "product_reference", "product_supplier_reference", "product_weight", "id_tax_rules_group",
                         "tax_computation_method", "tax_name", "tax_rate", "ecotax", "ecotax_tax_rate", "discount_quantity_applied",
                         "download_hash", "download_nb", "download_deadline", "total_price_tax_incl", "total_price_tax_excl",
                         "unit_price_tax_incl", "unit_price_tax_excl", "total_shipping_price_tax_incl", "total_shipping_price_tax_excl",
                         "purchase_supplier_price", "original_product_price", "original_wholesale_price", "total_refunded_tax_excl",
                         "total_refunded_tax_incl")
