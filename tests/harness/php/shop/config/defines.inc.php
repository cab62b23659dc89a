<?php
/**
 * Synthetic stand-in written by the shopfleet test harness; not PrestaShop code.
 * Directory constants of the shop. A shop may predefine any of them in defines_custom.inc.php.
 */
if (is_file(__DIR__ . '/defines_custom.inc.php')) {
    include_once __DIR__ . '/defines_custom.inc.php';
}

if (!defined('_PS_MODE_DEV_')) {
    define('_PS_MODE_DEV_', false);
}
if (!defined('_PS_ROOT_DIR_')) {
    define('_PS_ROOT_DIR_', realpath(__DIR__ . '/..'));
}
if (!defined('_PS_CORE_DIR_')) {
    define('_PS_CORE_DIR_', _PS_ROOT_DIR_);
}

define('_PS_CONFIG_DIR_', _PS_CORE_DIR_ . '/config/');
define('_PS_CLASS_DIR_', _PS_CORE_DIR_ . '/classes/');
define('_PS_CONTROLLER_DIR_', _PS_CORE_DIR_ . '/controllers/');
define('_PS_OVERRIDE_DIR_', _PS_ROOT_DIR_ . '/override/');
define('_PS_MODULE_DIR_', _PS_ROOT_DIR_ . '/modules/');
define('_PS_ALL_THEMES_DIR_', _PS_ROOT_DIR_ . '/themes/');
define('_PS_IMG_DIR_', _PS_ROOT_DIR_ . '/img/');
define('_PS_TMP_IMG_DIR_', _PS_IMG_DIR_ . 'tmp/');
define('_PS_PRODUCT_IMG_DIR_', _PS_IMG_DIR_ . 'p/');
define('_PS_CAT_IMG_DIR_', _PS_IMG_DIR_ . 'c/');
define('_PS_MAIL_DIR_', _PS_CORE_DIR_ . '/mails/');
define('_PS_TRANSLATIONS_DIR_', _PS_ROOT_DIR_ . '/translations/');
define('_PS_UPLOAD_DIR_', _PS_ROOT_DIR_ . '/upload/');
define('_PS_DOWNLOAD_DIR_', _PS_ROOT_DIR_ . '/download/');

// 1.7 and later keep caches and logs under var/; 1.6 shops use cache/ and log/.
if (is_dir(_PS_ROOT_DIR_ . '/var')) {
    define('_PS_CACHE_DIR_', _PS_ROOT_DIR_ . '/var/cache/' . (_PS_MODE_DEV_ ? 'dev' : 'prod') . '/');
    define('_PS_LOG_DIR_', _PS_ROOT_DIR_ . '/var/logs/');
} else {
    define('_PS_CACHE_DIR_', _PS_ROOT_DIR_ . '/cache/');
    define('_PS_LOG_DIR_', _PS_ROOT_DIR_ . '/log/');
}

if (!defined('_PS_USE_SQL_SLAVE_')) {
    define('_PS_USE_SQL_SLAVE_', false);
}
