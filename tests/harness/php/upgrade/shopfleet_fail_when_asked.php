<?php
/**
 * Synthetic upgrade callback written by the shopfleet test harness; not PrestaShop code.
 * Fails the way PrestaShop callbacks report errors when the global configuration value
 * SHOPFLEET_FAIL_AT names this version, so tests can break a migration on purpose.
 *
 * @param string $version
 *
 * @return bool|array{error: string}
 */
function shopfleet_fail_when_asked($version)
{
    if (Configuration::get('SHOPFLEET_FAIL_AT') === $version) {
        return ['error' => 'Synthetic failure requested for ' . $version];
    }

    return true;
}
