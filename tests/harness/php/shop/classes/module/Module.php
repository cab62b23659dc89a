<?php
/**
 * Synthetic stand-in written by the shopfleet test harness; not PrestaShop code.
 *
 * Enough of a module base class to load modules/<name>/<name>.php, read its version,
 * compare it with the version recorded in <prefix>module and run upgrade scripts.
 */
abstract class ModuleCore
{
    /** @var int|null */
    public $id;

    /** @var string */
    public $name;

    /** @var string version of the files */
    public $version;

    /** @var string|false version recorded in the database, false when not installed */
    public $database_version = false;

    /** @var bool */
    public $installed = false;

    /** @var bool */
    public $active = false;

    /** @var string */
    public $displayName = '';

    /** @var string */
    public $description = '';

    /** @var string */
    public $author = '';

    /** @var string */
    public $tab = '';

    /** @var int */
    public $need_instance = 0;

    /** @var bool */
    public $bootstrap = false;

    /** @var array<string, string> */
    public $ps_versions_compliancy = [];

    /** @var array<string, ModuleCore> */
    protected static $instances = [];

    public function __construct($name = null, $context = null)
    {
        if ($name !== null) {
            $this->name = $name;
        }
        if (!$this->name) {
            return;
        }
        $row = Db::getInstance()->getRow('SELECT `id_module`, `active`, `version` FROM `' . _DB_PREFIX_ . 'module` WHERE `name` = \'' . pSQL($this->name) . '\'');
        if ($row) {
            $this->id = (int) $row['id_module'];
            $this->active = (bool) $row['active'];
            $this->database_version = (string) $row['version'];
            $this->installed = true;
        }
    }

    /**
     * @param string $moduleName
     *
     * @return ModuleCore|false
     */
    public static function getInstanceByName($moduleName)
    {
        if (!preg_match('/^[a-zA-Z0-9_-]+$/', (string) $moduleName)) {
            return false;
        }
        if (!isset(static::$instances[$moduleName])) {
            $file = _PS_MODULE_DIR_ . $moduleName . '/' . $moduleName . '.php';
            if (!is_file($file)) {
                return false;
            }
            require_once $file;
            if (!class_exists($moduleName, false)) {
                return false;
            }
            static::$instances[$moduleName] = new $moduleName();
        }

        return static::$instances[$moduleName];
    }

    /**
     * @return int|false
     */
    public static function getModuleIdByName($name)
    {
        $id = Db::getInstance()->getValue('SELECT `id_module` FROM `' . _DB_PREFIX_ . 'module` WHERE `name` = \'' . pSQL($name) . '\'');

        return $id ? (int) $id : false;
    }

    public static function isInstalled($moduleName)
    {
        return (bool) static::getModuleIdByName($moduleName);
    }

    public static function isEnabled($moduleName)
    {
        return (bool) Db::getInstance()->getValue('SELECT `active` FROM `' . _DB_PREFIX_ . 'module` WHERE `name` = \'' . pSQL($moduleName) . '\'');
    }

    /**
     * Records the version of a module after its upgrade scripts ran.
     *
     * @return bool
     */
    public static function upgradeModuleVersion($name, $version)
    {
        return Db::getInstance()->execute('UPDATE `' . _DB_PREFIX_ . 'module` SET `version` = \'' . pSQL($version) . '\' WHERE `name` = \'' . pSQL($name) . '\'');
    }

    /**
     * Hooks the module on every shop (creating the hook when missing).
     *
     * @param string|string[] $hookName
     * @param int[]|null $shopList
     *
     * @return bool
     */
    public function registerHook($hookName, $shopList = null)
    {
        if (is_array($hookName)) {
            $ok = true;
            foreach ($hookName as $name) {
                $ok = $this->registerHook($name, $shopList) && $ok;
            }

            return $ok;
        }
        if (!$this->id) {
            return false;
        }
        $db = Db::getInstance();
        $idHook = (int) $db->getValue('SELECT `id_hook` FROM `' . _DB_PREFIX_ . 'hook` WHERE `name` = \'' . pSQL($hookName) . '\'');
        if (!$idHook) {
            if (!$db->execute('INSERT INTO `' . _DB_PREFIX_ . 'hook` (`name`, `title`, `description`, `position`) VALUES (\'' . pSQL($hookName) . '\', \'' . pSQL($hookName) . '\', \'\', 1)')) {
                return false;
            }
            $idHook = $db->Insert_ID();
        }
        $ok = true;
        foreach ($shopList ?: Shop::getCompleteListOfShopsID() as $idShop) {
            $position = (int) $db->getValue('SELECT MAX(`position`) FROM `' . _DB_PREFIX_ . 'hook_module` WHERE `id_hook` = ' . $idHook . ' AND `id_shop` = ' . (int) $idShop);
            $ok = $db->execute('INSERT IGNORE INTO `' . _DB_PREFIX_ . 'hook_module` (`id_module`, `id_shop`, `id_hook`, `position`) VALUES ('
                . (int) $this->id . ', ' . (int) $idShop . ', ' . $idHook . ', ' . ($position + 1) . ')') && $ok;
        }

        return $ok;
    }

    /**
     * @return bool
     */
    public function unregisterHook($hookName)
    {
        $idHook = (int) Db::getInstance()->getValue('SELECT `id_hook` FROM `' . _DB_PREFIX_ . 'hook` WHERE `name` = \'' . pSQL($hookName) . '\'');

        return !$idHook || Db::getInstance()->execute('DELETE FROM `' . _DB_PREFIX_ . 'hook_module` WHERE `id_module` = ' . (int) $this->id . ' AND `id_hook` = ' . $idHook);
    }

    public function l($string, $specific = false, $locale = null)
    {
        return $string;
    }

    public function trans($id, array $parameters = [], $domain = null, $locale = null)
    {
        return strtr($id, $parameters);
    }
}
