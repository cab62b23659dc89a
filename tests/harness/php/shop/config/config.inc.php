<?php
/**
 * Synthetic stand-in written by the shopfleet test harness; not PrestaShop code.
 *
 * The minimal runtime of a synthetic shop: constants, database settings, the _PS_VERSION_
 * of the files and the classes upgrade callbacks use (Db, Configuration, Context, Language,
 * Shop, Tools, Module). Nothing touches the database until a class is used.
 */
require_once __DIR__ . '/defines.inc.php';

// 1.6 shops (and 1.7 shops whose settings were never migrated) keep their settings here.
if (!is_file(_PS_ROOT_DIR_ . '/app/config/parameters.php') && is_file(__DIR__ . '/settings.inc.php')) {
    require_once __DIR__ . '/settings.inc.php';
}

require_once __DIR__ . '/autoload.php';

if (is_file(__DIR__ . '/bootstrap.php')) {
    require_once __DIR__ . '/bootstrap.php';
}

if (!defined('_DB_SERVER_')) {
    throw new PrestaShopException('No database settings: neither app/config/parameters.php nor config/settings.inc.php was found');
}
if (!defined('_MYSQL_ENGINE_')) {
    define('_MYSQL_ENGINE_', 'MyISAM');
}
if (!defined('_PS_VERSION_')) {
    throw new PrestaShopException('_PS_VERSION_ is not defined by the files of this shop');
}
