<?php
/**
 * Synthetic stand-in written by the shopfleet test harness; not PrestaShop code.
 * The handful of helpers upgrade callbacks and module scripts tend to call.
 */
class ToolsCore
{
    /**
     * @param string $key
     * @param mixed $defaultValue
     *
     * @return mixed
     */
    public static function getValue($key, $defaultValue = false)
    {
        if (isset($_POST[$key])) {
            return $_POST[$key];
        }

        return isset($_GET[$key]) ? $_GET[$key] : $defaultValue;
    }

    /**
     * @param string $key
     *
     * @return bool
     */
    public static function getIsset($key)
    {
        return isset($_POST[$key]) || isset($_GET[$key]);
    }

    public static function strtolower($string)
    {
        return mb_strtolower((string) $string, 'utf-8');
    }

    public static function strtoupper($string)
    {
        return mb_strtoupper((string) $string, 'utf-8');
    }

    public static function strlen($string)
    {
        return mb_strlen((string) $string, 'utf-8');
    }

    public static function substr($string, $start, $length = null)
    {
        return mb_substr((string) $string, $start, $length, 'utf-8');
    }

    public static function ucfirst($string)
    {
        return static::strtoupper(static::substr($string, 0, 1)) . static::substr($string, 1);
    }

    public static function nl2br($string)
    {
        return str_replace(["\r\n", "\r", "\n"], '<br />', (string) $string);
    }

    /**
     * @param string $version1
     * @param string $version2
     * @param string $operator
     *
     * @return bool
     */
    public static function version_compare($version1, $version2, $operator = '<')
    {
        return version_compare((string) $version1, (string) $version2, $operator);
    }

    /**
     * @param string $dirname
     * @param bool $deleteSelf
     *
     * @return bool
     */
    public static function deleteDirectory($dirname, $deleteSelf = true)
    {
        $dirname = rtrim($dirname, '/') . '/';
        if (!is_dir($dirname)) {
            return false;
        }
        foreach (scandir($dirname) as $entry) {
            if ($entry === '.' || $entry === '..') {
                continue;
            }
            if (is_dir($dirname . $entry) && !is_link($dirname . $entry)) {
                static::deleteDirectory($dirname . $entry, true);
            } else {
                @unlink($dirname . $entry);
            }
        }

        return $deleteSelf ? @rmdir($dirname) : true;
    }

    /**
     * Empties the Symfony cache of one environment (all when null), as PrestaShop does after upgrades.
     *
     * @param string|null $env
     */
    public static function clearSf2Cache($env = null)
    {
        $base = _PS_ROOT_DIR_ . '/var/cache/';
        foreach ($env === null ? ['prod', 'dev'] : [$env] as $environment) {
            if (is_dir($base . $environment)) {
                static::deleteDirectory($base . $environment, false);
            }
        }
    }

    public static function displayError($message = 'Fatal error')
    {
        return $message;
    }

    public static function jsonEncode($data, $options = 0)
    {
        return json_encode($data, $options);
    }

    public static function jsonDecode($data, $assoc = false)
    {
        return json_decode($data, $assoc);
    }

    /**
     * @return string the shop's domain from configuration
     */
    public static function getShopDomain()
    {
        return (string) Configuration::get('PS_SHOP_DOMAIN');
    }

    public static function generateHtaccess()
    {
        return true;
    }
}
