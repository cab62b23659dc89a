<?php
/**
 * Synthetic upgrade callback written by the shopfleet test harness; not PrestaShop code.
 *
 * Leaves traces tests can assert on: SHOPFLEET_PHP_<version> (what ran, with the context it
 * saw) and SHOPFLEET_MIGRATIONS_RUN (every version in the order the callbacks ran).
 *
 * @param string $version
 * @param int $step
 *
 * @return bool
 */
function shopfleet_record_migration($version, $step)
{
    $key = 'SHOPFLEET_PHP_' . strtoupper(preg_replace('/[^0-9A-Za-z]+/', '_', $version));
    $context = Context::getContext();
    $languages = Language::getLanguages(false);
    $trace = sprintf('%s step %d shop %d lang %d of %d', $version, (int) $step, (int) $context->shop->id, (int) $context->language->id, count($languages));
    if (!Configuration::updateValue($key, $trace)) {
        return false;
    }
    $order = (string) Configuration::get('SHOPFLEET_MIGRATIONS_RUN');
    if (!Configuration::updateValue('SHOPFLEET_MIGRATIONS_RUN', ltrim($order . ',' . $version, ','))) {
        return false;
    }

    return Db::getInstance()->execute('UPDATE `' . _DB_PREFIX_ . 'configuration` SET `date_upd` = NOW()'
        . ' WHERE `name` = \'' . pSQL($key) . '\' AND `id_shop` IS NULL AND `id_shop_group` IS NULL');
}
