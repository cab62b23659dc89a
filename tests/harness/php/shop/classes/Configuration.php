<?php
/**
 * Synthetic stand-in written by the shopfleet test harness; not PrestaShop code.
 *
 * Reads and writes <prefix>configuration (and configuration_lang) directly, without a cache,
 * so values written by SQL migrations are seen at once. Without a shop or group, get()
 * and updateValue() work on the global row (id_shop and id_shop_group NULL). With a shop and
 * the multistore feature active, get() falls back from the shop row to its group row to the
 * global row, as PrestaShop does.
 */
class ConfigurationCore
{
    /**
     * @param string $key
     * @param int|null $idLang
     * @param int|null $idShopGroup
     * @param int|null $idShop
     * @param mixed $default returned when no row exists
     *
     * @return mixed
     */
    public static function get($key, $idLang = null, $idShopGroup = null, $idShop = null, $default = false)
    {
        $db = Db::getInstance();
        foreach (static::lookupScopes($idShopGroup, $idShop) as $scope) {
            if ($idLang) {
                $sql = 'SELECT cl.`value` FROM `' . _DB_PREFIX_ . 'configuration` c'
                    . ' INNER JOIN `' . _DB_PREFIX_ . 'configuration_lang` cl ON cl.`id_configuration` = c.`id_configuration`'
                    . ' AND cl.`id_lang` = ' . (int) $idLang
                    . ' WHERE c.`name` = \'' . pSQL($key) . '\' AND ' . static::scopeCondition($scope, 'c.')
                    . ' ORDER BY c.`id_configuration` DESC';
            } else {
                $sql = 'SELECT `value` FROM `' . _DB_PREFIX_ . 'configuration`'
                    . ' WHERE `name` = \'' . pSQL($key) . '\' AND ' . static::scopeCondition($scope)
                    . ' ORDER BY `id_configuration` DESC';
            }
            $row = $db->getRow($sql);
            if ($row !== false) {
                return $row['value'];
            }
        }

        return $default;
    }

    /**
     * @param string $key
     * @param int|null $idLang
     *
     * @return mixed
     */
    public static function getGlobalValue($key, $idLang = null)
    {
        return static::get($key, $idLang, null, null);
    }

    /**
     * @param string $key
     * @param mixed $values a value, or [id_lang => value] for a translated key
     * @param bool $html keep HTML tags (they are stripped otherwise)
     * @param int|null $idShopGroup
     * @param int|null $idShop
     *
     * @return bool
     */
    public static function updateValue($key, $values, $html = false, $idShopGroup = null, $idShop = null)
    {
        if (!preg_match('/^[a-zA-Z0-9_-]+$/', (string) $key)) {
            return false;
        }
        $db = Db::getInstance();
        $scope = static::exactScope($idShopGroup, $idShop);
        $translated = is_array($values);
        $values = $translated ? $values : [0 => $values];
        foreach ($values as $idLang => $value) {
            if (is_string($value) && !$html) {
                $values[$idLang] = strip_tags($value);
            }
        }

        $idConfiguration = (int) $db->getValue('SELECT `id_configuration` FROM `' . _DB_PREFIX_ . 'configuration`'
            . ' WHERE `name` = \'' . pSQL($key) . '\' AND ' . static::scopeCondition($scope) . ' ORDER BY `id_configuration` DESC');
        $plainValue = $translated ? null : $values[0];
        if ($idConfiguration) {
            $ok = $translated || $db->execute('UPDATE `' . _DB_PREFIX_ . 'configuration` SET `value` = ' . static::sqlValue($plainValue)
                . ', `date_upd` = NOW() WHERE `id_configuration` = ' . $idConfiguration);
        } else {
            $ok = $db->execute('INSERT INTO `' . _DB_PREFIX_ . 'configuration` (`id_shop_group`, `id_shop`, `name`, `value`, `date_add`, `date_upd`)'
                . ' VALUES (' . ($scope['group'] === null ? 'NULL' : (int) $scope['group']) . ', '
                . ($scope['shop'] === null ? 'NULL' : (int) $scope['shop']) . ', \'' . pSQL($key) . '\', '
                . static::sqlValue($plainValue) . ', NOW(), NOW())');
            $idConfiguration = $ok ? $db->Insert_ID() : 0;
        }
        if (!$ok || !$translated) {
            return $ok;
        }
        foreach ($values as $idLang => $value) {
            $ok = $ok && $db->execute('INSERT INTO `' . _DB_PREFIX_ . 'configuration_lang` (`id_configuration`, `id_lang`, `value`, `date_upd`)'
                . ' VALUES (' . $idConfiguration . ', ' . (int) $idLang . ', ' . static::sqlValue($value) . ', NOW())'
                . ' ON DUPLICATE KEY UPDATE `value` = VALUES(`value`), `date_upd` = NOW()');
        }

        return $ok;
    }

    /**
     * @param string $key
     * @param mixed $values
     * @param bool $html
     *
     * @return bool
     */
    public static function updateGlobalValue($key, $values, $html = false)
    {
        return static::updateValue($key, $values, $html, null, null);
    }

    /**
     * @param string $key
     * @param int|null $idLang
     * @param int|null $idShopGroup
     * @param int|null $idShop
     *
     * @return bool whether a row exists for exactly this scope
     */
    public static function hasKey($key, $idLang = null, $idShopGroup = null, $idShop = null)
    {
        $scope = static::exactScope($idShopGroup, $idShop);
        $sql = 'SELECT c.`id_configuration` FROM `' . _DB_PREFIX_ . 'configuration` c'
            . ($idLang ? ' INNER JOIN `' . _DB_PREFIX_ . 'configuration_lang` cl ON cl.`id_configuration` = c.`id_configuration` AND cl.`id_lang` = ' . (int) $idLang : '')
            . ' WHERE c.`name` = \'' . pSQL($key) . '\' AND ' . static::scopeCondition($scope, 'c.');

        return (bool) Db::getInstance()->getValue($sql);
    }

    /**
     * @param string $key
     *
     * @return bool
     */
    public static function deleteByName($key)
    {
        $db = Db::getInstance();
        $ids = 'SELECT `id_configuration` FROM `' . _DB_PREFIX_ . 'configuration` WHERE `name` = \'' . pSQL($key) . '\'';
        $rows = $db->executeS($ids);
        if ($rows === false) {
            return false;
        }
        foreach ($rows as $row) {
            $db->execute('DELETE FROM `' . _DB_PREFIX_ . 'configuration_lang` WHERE `id_configuration` = ' . (int) $row['id_configuration']);
        }

        return $db->execute('DELETE FROM `' . _DB_PREFIX_ . 'configuration` WHERE `name` = \'' . pSQL($key) . '\'');
    }

    /**
     * @return array<int, array{shop: int|null, group: int|null}> most specific first
     */
    protected static function lookupScopes($idShopGroup, $idShop)
    {
        // As in PrestaShop, shop and group rows only count while the multistore feature is active.
        if (($idShop || $idShopGroup) && !Shop::isFeatureActive()) {
            return [['shop' => null, 'group' => null]];
        }
        $scopes = [];
        if ($idShop) {
            if (!$idShopGroup) {
                $idShopGroup = (int) Db::getInstance()->getValue('SELECT `id_shop_group` FROM `' . _DB_PREFIX_ . 'shop` WHERE `id_shop` = ' . (int) $idShop);
            }
            $scopes[] = ['shop' => (int) $idShop, 'group' => null];
        }
        if ($idShopGroup) {
            $scopes[] = ['shop' => null, 'group' => (int) $idShopGroup];
        }
        $scopes[] = ['shop' => null, 'group' => null];

        return $scopes;
    }

    /**
     * @return array{shop: int|null, group: int|null}
     */
    protected static function exactScope($idShopGroup, $idShop)
    {
        if ($idShop) {
            return ['shop' => (int) $idShop, 'group' => $idShopGroup ? (int) $idShopGroup : null];
        }

        return ['shop' => null, 'group' => $idShopGroup ? (int) $idShopGroup : null];
    }

    /**
     * @param array{shop: int|null, group: int|null} $scope
     * @param string $alias
     *
     * @return string
     */
    protected static function scopeCondition(array $scope, $alias = '')
    {
        if ($scope['shop'] !== null) {
            return $alias . '`id_shop` = ' . $scope['shop'];
        }
        if ($scope['group'] !== null) {
            return $alias . '`id_shop_group` = ' . $scope['group'] . ' AND ' . $alias . '`id_shop` IS NULL';
        }

        return $alias . '`id_shop` IS NULL AND ' . $alias . '`id_shop_group` IS NULL';
    }

    /**
     * @param mixed $value
     *
     * @return string
     */
    protected static function sqlValue($value)
    {
        if ($value === null) {
            return 'NULL';
        }
        if (is_bool($value)) {
            $value = (int) $value;
        }

        return '\'' . pSQL((string) $value, true) . '\'';
    }
}
