<?php
/**
 * Synthetic stand-in written by the shopfleet test harness; not PrestaShop code.
 * Only what entity classes need to be declared and constructed.
 */
abstract class ObjectModelCore
{
    /** @var int|null */
    public $id;

    /** @var array<string, mixed> */
    public static $definition = [];

    /**
     * @param int|null $id
     * @param int|null $idLang
     * @param int|null $idShop
     */
    public function __construct($id = null, $idLang = null, $idShop = null)
    {
        if ($id) {
            $this->id = (int) $id;
        }
    }
}
