<?php
/**
 * Synthetic stand-in for Composer's autoloader, written by the shopfleet test harness.
 * Maps the namespaces and kernel classes the synthetic src/ and app/ declare.
 */
spl_autoload_register(function ($class) {
    $root = dirname(__DIR__);
    $classMap = [
        'AppKernel' => $root . '/app/AppKernel.php',
        'AdminKernel' => $root . '/app/AdminKernel.php',
        'FrontKernel' => $root . '/app/FrontKernel.php',
        'AdminAPIKernel' => $root . '/app/AdminAPIKernel.php',
    ];
    if (isset($classMap[$class])) {
        if (is_file($classMap[$class])) {
            require $classMap[$class];
        }

        return;
    }
    $namespaces = [
        'PrestaShop\\PrestaShop\\' => $root . '/src/',
        'PrestaShopBundle\\' => $root . '/src/PrestaShopBundle/',
        'Symfony\\Component\\HttpKernel\\' => __DIR__ . '/symfony/http-kernel/',
    ];
    foreach ($namespaces as $prefix => $directory) {
        if (strncmp($class, $prefix, strlen($prefix)) === 0) {
            $file = $directory . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
            if (is_file($file)) {
                require $file;
            }

            return;
        }
    }
});

return true;
