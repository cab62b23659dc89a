<?php
/**
 * Synthetic upgrade callback written by the shopfleet test harness; not PrestaShop code.
 * Adds a column, or redefines it when it already exists, so running it twice is harmless.
 *
 * @param string $table without prefix
 * @param string $column
 * @param string $definition column definition, e.g. "VARCHAR(32) NULL"
 *
 * @return bool|array{error: string}
 */
function add_column($table, $column, $definition)
{
    $db = Db::getInstance();
    $quotedTable = '`' . _DB_PREFIX_ . bqSQL($table) . '`';
    $existing = $db->executeS('SHOW COLUMNS FROM ' . $quotedTable . ' LIKE \'' . addcslashes(pSQL($column), '%_') . '\'');
    if ($existing === false) {
        return ['error' => $db->getMsgError()];
    }
    $quotedColumn = '`' . bqSQL($column) . '`';
    $change = $existing ? 'CHANGE ' . $quotedColumn . ' ' . $quotedColumn : 'ADD ' . $quotedColumn;
    if (!$db->execute('ALTER TABLE ' . $quotedTable . ' ' . $change . ' ' . $definition)) {
        return ['error' => $db->getMsgError()];
    }

    return true;
}
