<?php
/**
 * Synthetic stand-in for the front controller, written by the shopfleet test harness.
 * Enough for "is the shop up" checks: 200 with the shop name and versions, 503 while in
 * maintenance (unless the visitor's address is allowed), 500 when the database is unusable.
 */
require __DIR__ . '/config/config.inc.php';

try {
    $shopName = (string) Configuration::get('PS_SHOP_NAME');
    $versionInDatabase = (string) Configuration::get('PS_VERSION_DB');
    $shopEnabled = Configuration::get('PS_SHOP_ENABLE');
    $maintenanceIps = array_map('trim', explode(',', (string) Configuration::get('PS_MAINTENANCE_IP')));
} catch (Throwable $error) {
    http_response_code(500);
    echo 'The shop database cannot be used.';
    exit;
}

$visitor = isset($_SERVER['REMOTE_ADDR']) ? $_SERVER['REMOTE_ADDR'] : '';
if ($shopEnabled === '0' && !in_array($visitor, $maintenanceIps, true)) {
    http_response_code(503);
    header('Retry-After: 3600');
    echo '<!DOCTYPE html><html><head><title>' . htmlspecialchars($shopName) . '</title></head><body>We are currently updating our shop.</body></html>';
    exit;
}

header('Content-Type: text/html; charset=utf-8');
echo '<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="generator" content="PrestaShop"><title>'
    . htmlspecialchars($shopName) . '</title></head><body data-ps-version="' . htmlspecialchars(_PS_VERSION_)
    . '" data-ps-version-db="' . htmlspecialchars($versionInDatabase) . '"><h1>' . htmlspecialchars($shopName) . '</h1></body></html>';
