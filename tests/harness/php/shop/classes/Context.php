<?php
/**
 * Synthetic stand-in written by the shopfleet test harness; not PrestaShop code.
 * The default shop and language, loaded on first use.
 */
class ContextCore
{
    /** @var ContextCore|null */
    protected static $instance;

    /** @var Shop */
    public $shop;

    /** @var Language */
    public $language;

    /** @var object|null */
    public $employee;

    /** @var object|null */
    public $cookie;

    /** @var object|null */
    public $controller;

    /**
     * @return Context
     */
    public static function getContext()
    {
        if (static::$instance === null) {
            $context = new Context();
            $idShop = (int) Configuration::get('PS_SHOP_DEFAULT');
            $context->shop = new Shop($idShop ?: 1);
            $idLang = (int) Configuration::get('PS_LANG_DEFAULT');
            $context->language = new Language($idLang ?: 1);
            static::$instance = $context;
        }

        return static::$instance;
    }
}
