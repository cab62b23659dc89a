<?php
/**
 * Synthetic stand-in written by the shopfleet test harness; not Symfony code.
 * Just enough of a kernel base class for the synthetic AppKernel to load.
 */
namespace Symfony\Component\HttpKernel;

abstract class Kernel
{
    /** @var string */
    protected $environment;

    /** @var bool */
    protected $debug;

    public function __construct(string $environment, bool $debug)
    {
        $this->environment = $environment;
        $this->debug = $debug;
    }

    abstract public function registerBundles();

    public function boot()
    {
    }

    public function getEnvironment()
    {
        return $this->environment;
    }

    public function isDebug()
    {
        return $this->debug;
    }

    public function getProjectDir()
    {
        return dirname(__DIR__, 3);
    }
}
