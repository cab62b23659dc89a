<?php
/**
 * Synthetic stand-in written by the shopfleet test harness; not PrestaShop code.
 *
 * Loads legacy classes the PrestaShop way: every file under classes/ and controllers/
 * declares "<Name>Core"; asking for "<Name>" loads that file and aliases the class.
 */
class PrestaShopAutoload
{
    /** @var PrestaShopAutoload|null */
    protected static $instance;

    /** @var array<string, string>|null class name => file */
    protected $index;

    /**
     * @return PrestaShopAutoload
     */
    public static function getInstance()
    {
        if (static::$instance === null) {
            static::$instance = new static();
        }

        return static::$instance;
    }

    /**
     * @param string $className
     */
    public function load($className)
    {
        $index = $this->getIndex();
        if (isset($index[$className])) {
            require_once $index[$className];

            return;
        }
        $coreName = $className . 'Core';
        if (isset($index[$coreName])) {
            require_once $index[$coreName];
            if (!class_exists($className, false) && !interface_exists($className, false)) {
                class_alias($coreName, $className);
            }
        }
    }

    /**
     * @return array<string, string>
     */
    protected function getIndex()
    {
        if ($this->index === null) {
            $this->index = [];
            foreach ([_PS_CLASS_DIR_, _PS_CONTROLLER_DIR_] as $directory) {
                if (!is_dir($directory)) {
                    continue;
                }
                $files = new RecursiveIteratorIterator(new RecursiveDirectoryIterator($directory, FilesystemIterator::SKIP_DOTS));
                foreach ($files as $file) {
                    $name = $file->getBasename('.php');
                    if ($file->getExtension() === 'php' && $name !== 'index' && $name !== 'PrestaShopAutoload') {
                        $this->index[$name . 'Core'] = $file->getPathname();
                    }
                }
            }
        }

        return $this->index;
    }
}
