<?php
// Regenerates tests/unit/plugins/module_utils/fixtures/php_version_compare.json: PHP's own verdict on every pair of
// the versions below, which the Python port of version_compare is tested against.
// Usage: php hacking/php_version_compare_table.php > tests/unit/plugins/module_utils/fixtures/php_version_compare.json
$versions = [
    '1.6.1.24', '1.7', '1.7.0.5', '1.7.8', '1.7.8.0', '1.7.8.8', '1.7.8.11', '1.7.8.11.0',
    '8', '8.0', '8.0.0', '8.0.5', '8.1.0', '8.1.3', '8.1.5', '8.1.6', '8.1.6-catchup', '8.1.7', '8.1.7-catchup',
    '8.1.7.0', '8.1.8', '8.1.10', '8.2.0', '8.2.0-beta.1', '8.2.0-rc.1', '8.2.0-RC1', '8.2.0-alpha', '8.2.0a',
    '8.2.0-dev', '8.2.0-pl1', '8.2.0p1', '8.2.0.1', '8.2.1', '9.0.0', '9.0.0-catchup', '9.0.0-beta',
    '9.0.0-rc.2', '9.0.3', '9.1.0', '10.0.0', '1.0.0+build.1', '1.0.0_1', '1..2', '1.', '.1', '#1', '',
    '1.0.0~rc', '2.0b', '2.0beta', '2.0Beta', 'v8.1.7', '8.1.7 ', '08.1.7',
];
$rows = [];
foreach ($versions as $left) {
    foreach ($versions as $right) {
        $rows[] = [$left, $right, version_compare($left, $right)];
    }
}
// One pair a line, so that a diff of the table shows which verdicts changed.
$lines = array_map(function ($row) { return '    ' . json_encode($row, JSON_UNESCAPED_SLASHES); }, $rows);
echo "{\n  \"generated_by\": " . json_encode('PHP ' . PHP_VERSION . ' version_compare()') . ",\n  \"pairs\": [\n" . implode(",\n", $lines) . "\n  ]\n}\n";
