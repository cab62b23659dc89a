<?php
/**
 * Synthetic upgrade callback written by the shopfleet test harness; not PrestaShop code.
 *
 * @param string $table without prefix
 * @param string $column
 *
 * @return bool|array{error: string}
 */
function drop_column_if_exists($table, $column)
{
    $db = Db::getInstance();
    $quotedTable = '`' . _DB_PREFIX_ . bqSQL($table) . '`';
    $existing = $db->executeS('SHOW COLUMNS FROM ' . $quotedTable . ' LIKE \'' . addcslashes(pSQL($column), '%_') . '\'');
    if ($existing === false) {
        return ['error' => $db->getMsgError()];
    }
    if ($existing && !$db->execute('ALTER TABLE ' . $quotedTable . ' DROP COLUMN `' . bqSQL($column) . '`')) {
        return ['error' => $db->getMsgError()];
    }

    return true;
}
