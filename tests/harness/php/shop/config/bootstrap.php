<?php
/**
 * Synthetic stand-in written by the shopfleet test harness; not PrestaShop code.
 *
 * Reads app/config/parameters.php the way PrestaShop 1.7+ does: through a copy cached in
 * var/cache/<env>/appParameters.php that is refreshed only when parameters.php is newer,
 * with "%%" unescaped to "%", then defines the _DB_* constants.
 */
$shopfleetParametersFile = _PS_ROOT_DIR_ . '/app/config/parameters.php';
$shopfleetParametersCache = _PS_CACHE_DIR_ . 'appParameters.php';

if (!defined('_DB_SERVER_') && is_file($shopfleetParametersFile)) {
    if (is_file($shopfleetParametersCache) && filemtime($shopfleetParametersCache) >= filemtime($shopfleetParametersFile)) {
        $shopfleetConfig = require $shopfleetParametersCache;
    } else {
        $shopfleetConfig = require $shopfleetParametersFile;
        // A cache that cannot be written only costs speed, as in PrestaShop.
        if (is_dir(_PS_CACHE_DIR_) || @mkdir(_PS_CACHE_DIR_, 0755, true)) {
            $shopfleetTemporary = $shopfleetParametersCache . '.' . getmypid();
            if (@file_put_contents($shopfleetTemporary, '<?php return ' . var_export($shopfleetConfig, true) . ';' . PHP_EOL) !== false) {
                @rename($shopfleetTemporary, $shopfleetParametersCache);
            }
        }
    }

    $shopfleetParameters = $shopfleetConfig['parameters'];
    array_walk($shopfleetParameters, function (&$value) {
        if (is_string($value)) {
            $value = str_replace('%%', '%', $value);
        }
    });

    $shopfleetPort = isset($shopfleetParameters['database_port']) ? (string) $shopfleetParameters['database_port'] : '';
    define('_DB_SERVER_', $shopfleetParameters['database_host'] . ($shopfleetPort !== '' ? ':' . $shopfleetPort : ''));
    define('_DB_NAME_', $shopfleetParameters['database_name']);
    define('_DB_USER_', $shopfleetParameters['database_user']);
    define('_DB_PASSWD_', (string) $shopfleetParameters['database_password']);
    define('_DB_PREFIX_', $shopfleetParameters['database_prefix']);
    define('_MYSQL_ENGINE_', isset($shopfleetParameters['database_engine']) ? $shopfleetParameters['database_engine'] : 'InnoDB');
    define('_PS_CACHING_SYSTEM_', isset($shopfleetParameters['ps_caching']) ? $shopfleetParameters['ps_caching'] : 'CacheMemcache');
    define('_PS_CACHE_ENABLED_', empty($shopfleetParameters['ps_cache_enable']) ? 0 : 1);
    define('_COOKIE_KEY_', isset($shopfleetParameters['cookie_key']) ? $shopfleetParameters['cookie_key'] : '');
    define('_COOKIE_IV_', isset($shopfleetParameters['cookie_iv']) ? $shopfleetParameters['cookie_iv'] : '');
    define('_NEW_COOKIE_KEY_', isset($shopfleetParameters['new_cookie_key']) ? $shopfleetParameters['new_cookie_key'] : '');
    define('_PS_CREATION_DATE_', isset($shopfleetParameters['ps_creation_date']) ? $shopfleetParameters['ps_creation_date'] : '');
}
