<?php
/**
 * Synthetic stand-in written by the shopfleet test harness; not PrestaShop code.
 * Languages from <prefix>lang (and lang_shop).
 */
class LanguageCore extends ObjectModel
{
    /** @var string */
    public $name = '';

    /** @var string */
    public $iso_code = '';

    /** @var string */
    public $locale = '';

    /** @var string */
    public $language_code = '';

    /** @var bool */
    public $active = true;

    /**
     * @param int|null $id
     * @param int|null $idLang ignored
     */
    public function __construct($id = null, $idLang = null)
    {
        parent::__construct($id);
        if (!$this->id) {
            return;
        }
        $row = Db::getInstance()->getRow('SELECT * FROM `' . _DB_PREFIX_ . 'lang` WHERE `id_lang` = ' . (int) $this->id);
        if ($row) {
            foreach (['name', 'iso_code', 'locale', 'language_code'] as $field) {
                if (isset($row[$field])) {
                    $this->{$field} = (string) $row[$field];
                }
            }
            $this->active = !empty($row['active']);
        }
    }

    /**
     * @param bool $active only active languages
     * @param int|false $idShop only languages of this shop
     * @param bool $idsOnly return a list of ids
     *
     * @return array<int, mixed>
     */
    public static function getLanguages($active = true, $idShop = false, $idsOnly = false)
    {
        $sql = 'SELECT l.* FROM `' . _DB_PREFIX_ . 'lang` l';
        $where = [];
        if ($idShop) {
            $sql .= ' INNER JOIN `' . _DB_PREFIX_ . 'lang_shop` ls ON ls.`id_lang` = l.`id_lang` AND ls.`id_shop` = ' . (int) $idShop;
        }
        if ($active) {
            $where[] = 'l.`active` = 1';
        }
        $sql .= ($where ? ' WHERE ' . implode(' AND ', $where) : '') . ' ORDER BY l.`id_lang`';
        $rows = Db::getInstance()->executeS($sql);
        if (!$rows) {
            return [];
        }
        if ($idsOnly) {
            return array_map('intval', array_column($rows, 'id_lang'));
        }

        return $rows;
    }

    /**
     * @return array<int, int>
     */
    public static function getIDs($active = true, $idShop = false)
    {
        return static::getLanguages($active, $idShop, true);
    }

    /**
     * @param string $isoCode
     *
     * @return int|false
     */
    public static function getIdByIso($isoCode)
    {
        $id = Db::getInstance()->getValue('SELECT `id_lang` FROM `' . _DB_PREFIX_ . 'lang` WHERE `iso_code` = \'' . pSQL(strtolower($isoCode)) . '\'');

        return $id ? (int) $id : false;
    }

    /**
     * @param int $idLang
     *
     * @return string|false
     */
    public static function getIsoById($idLang)
    {
        $iso = Db::getInstance()->getValue('SELECT `iso_code` FROM `' . _DB_PREFIX_ . 'lang` WHERE `id_lang` = ' . (int) $idLang);

        return $iso === false ? false : (string) $iso;
    }
}
