<?php
/**
 * Synthetic stand-in written by the shopfleet test harness; not PrestaShop code.
 */
class PrestaShopExceptionCore extends Exception
{
}
