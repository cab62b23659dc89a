<?php
/**
 * Synthetic stand-in written by the shopfleet test harness; not PrestaShop code.
 * The global helpers upgrade callbacks rely on.
 */

/**
 * Escapes a value for use inside a quoted SQL string.
 *
 * @param string $string
 * @param bool $htmlOK keep HTML tags (they are stripped otherwise)
 *
 * @return string
 */
function pSQL($string, $htmlOK = false)
{
    return Db::getInstance()->escape($string, $htmlOK);
}

/**
 * Escapes a value for use inside backquotes (table or column names).
 *
 * @param string $string
 *
 * @return string
 */
function bqSQL($string)
{
    return str_replace('`', '\`', pSQL($string));
}
