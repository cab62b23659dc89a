<?php
/**
 * Synthetic stand-in written by the shopfleet test harness; not PrestaShop code.
 * Shops from <prefix>shop.
 */
class ShopCore extends ObjectModel
{
    public const CONTEXT_SHOP = 1;
    public const CONTEXT_GROUP = 2;
    public const CONTEXT_ALL = 4;

    /** @var int */
    public $id_shop_group = 1;

    /** @var string */
    public $name = '';

    /** @var bool */
    public $active = true;

    /** @var string */
    public $theme_name = '';

    /**
     * @param int|null $id
     */
    public function __construct($id = null, $idLang = null, $idShop = null)
    {
        parent::__construct($id);
        if (!$this->id) {
            return;
        }
        $row = Db::getInstance()->getRow('SELECT * FROM `' . _DB_PREFIX_ . 'shop` WHERE `id_shop` = ' . (int) $this->id);
        if ($row) {
            $this->id_shop_group = (int) $row['id_shop_group'];
            $this->name = (string) $row['name'];
            $this->active = !empty($row['active']);
            $this->theme_name = isset($row['theme_name']) ? (string) $row['theme_name'] : '';
        }
    }

    /**
     * @param bool $active
     * @param int|null $idShopGroup
     * @param bool $getAsListId
     *
     * @return array<int, mixed>
     */
    public static function getShops($active = true, $idShopGroup = null, $getAsListId = false)
    {
        $where = [];
        if ($active) {
            $where[] = '`active` = 1';
        }
        if ($idShopGroup) {
            $where[] = '`id_shop_group` = ' . (int) $idShopGroup;
        }
        $rows = Db::getInstance()->executeS('SELECT * FROM `' . _DB_PREFIX_ . 'shop`' . ($where ? ' WHERE ' . implode(' AND ', $where) : '') . ' ORDER BY `id_shop`');
        $shops = [];
        foreach ($rows ?: [] as $row) {
            $shops[(int) $row['id_shop']] = $getAsListId ? (int) $row['id_shop'] : $row;
        }

        return $shops;
    }

    /**
     * @return array<int, int>
     */
    public static function getCompleteListOfShopsID()
    {
        return array_values(static::getShops(false, null, true));
    }

    /**
     * @return bool
     */
    public static function isFeatureActive()
    {
        return (bool) Configuration::get('PS_MULTISHOP_FEATURE_ACTIVE') && count(static::getCompleteListOfShopsID()) > 1;
    }

    /**
     * @return int|null
     */
    public static function getContextShopID($nullValueWithoutMultishop = false)
    {
        if ($nullValueWithoutMultishop && !static::isFeatureActive()) {
            return null;
        }

        return (int) Context::getContext()->shop->id;
    }

    /**
     * @return int|null
     */
    public static function getContextShopGroupID($nullValueWithoutMultishop = false)
    {
        if ($nullValueWithoutMultishop && !static::isFeatureActive()) {
            return null;
        }

        return (int) Context::getContext()->shop->id_shop_group;
    }
}
