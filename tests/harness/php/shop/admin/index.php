<?php
/**
 * Synthetic stand-in for the back office entry point, written by the shopfleet test harness.
 * Like PrestaShop, it refuses to show the login form while the install folder exists.
 */
if (!defined('_PS_ADMIN_DIR_')) {
    define('_PS_ADMIN_DIR_', __DIR__);
}
require _PS_ADMIN_DIR_ . '/../config/config.inc.php';

header('Content-Type: text/html; charset=utf-8');
if (is_dir(_PS_ROOT_DIR_ . '/install') || is_dir(_PS_ROOT_DIR_ . '/install-dev')) {
    echo '<!DOCTYPE html><html><body id="wrong_install_name">Delete the install folder before logging in.</body></html>';
    exit;
}
echo '<!DOCTYPE html><html><head><title>Back office</title></head><body id="login" data-ps-version="'
    . htmlspecialchars(_PS_VERSION_) . '"><form method="post"><input name="email"><input name="passwd" type="password"></form></body></html>';
