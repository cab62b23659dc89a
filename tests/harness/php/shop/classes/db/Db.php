<?php
/**
 * Synthetic stand-in written by the shopfleet test harness; not PrestaShop code.
 *
 * The database access API upgrade callbacks use, on PDO. Errors do not throw: like
 * PrestaShop outside debug mode, methods return false and getMsgError() says why.
 */
class DbCore
{
    public const INSERT = 1;
    public const INSERT_IGNORE = 2;
    public const REPLACE = 3;
    public const ON_DUPLICATE_KEY = 4;

    /** @var DbCore|null */
    protected static $instance;

    /** @var string */
    protected $server;

    /** @var string */
    protected $user;

    /** @var string */
    protected $password;

    /** @var string */
    protected $database;

    /** @var PDO|null */
    protected $link;

    /** @var PDOStatement|false|null */
    protected $result;

    /** @var string */
    protected $lastError = '';

    /** @var int */
    protected $lastErrno = 0;

    /**
     * @param bool $master ignored: a synthetic shop has no read replica
     *
     * @return DbCore
     */
    public static function getInstance($master = true)
    {
        if (static::$instance === null) {
            static::$instance = new Db(_DB_SERVER_, _DB_USER_, _DB_PASSWD_, _DB_NAME_);
        }

        return static::$instance;
    }

    /**
     * @param string $server host, host:port or host:/path/to/socket
     * @param string $user
     * @param string $password
     * @param string $database
     */
    public function __construct($server, $user, $password, $database)
    {
        $this->server = $server;
        $this->user = $user;
        $this->password = $password;
        $this->database = $database;
    }

    /**
     * @return PDO
     */
    public function connect()
    {
        $host = $this->server;
        $where = '';
        $colon = strrpos($host, ':');
        if ($colon !== false) {
            $rest = substr($host, $colon + 1);
            $host = substr($host, 0, $colon);
            $where = ctype_digit($rest) ? ';port=' . $rest : '';
            if (!ctype_digit($rest) && $rest !== '') {
                $host = '';
                $where = 'unix_socket=' . $rest;
            }
        }
        $dsn = 'mysql:' . ($host !== '' ? 'host=' . $host . $where : $where)
            . ($this->database !== '' ? ';dbname=' . $this->database : '') . ';charset=utf8mb4';
        try {
            $this->link = new PDO($dsn, $this->user, $this->password, [
                PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
                PDO::ATTR_TIMEOUT => 10,
            ]);
        } catch (PDOException $exception) {
            throw new PrestaShopDatabaseException('Link to database cannot be established: ' . $exception->getMessage());
        }
        $this->link->exec("SET SESSION sql_mode = ''");

        return $this->link;
    }

    /**
     * @return PDO
     */
    public function getLink()
    {
        return $this->link !== null ? $this->link : $this->connect();
    }

    public function disconnect()
    {
        $this->link = null;
    }

    /**
     * Runs a statement and keeps its result.
     *
     * @param string $sql
     *
     * @return PDOStatement|false
     */
    public function query($sql)
    {
        $this->lastError = '';
        $this->lastErrno = 0;
        try {
            $this->result = $this->getLink()->query($sql);
        } catch (PDOException $exception) {
            $this->lastErrno = isset($exception->errorInfo[1]) ? (int) $exception->errorInfo[1] : 0;
            $this->lastError = isset($exception->errorInfo[2]) ? (string) $exception->errorInfo[2] : $exception->getMessage();
            $this->result = false;
        }

        return $this->result;
    }

    /**
     * @param string $sql
     * @param bool $useCache ignored
     *
     * @return bool
     */
    public function execute($sql, $useCache = true)
    {
        $result = $this->query($sql);
        if ($result instanceof PDOStatement) {
            $result->closeCursor();
        }

        return $result !== false;
    }

    /**
     * @param string $sql
     * @param bool $array ignored: rows are always returned as arrays
     * @param bool $useCache ignored
     *
     * @return array<int, array<string, mixed>>|false
     */
    public function executeS($sql, $array = true, $useCache = true)
    {
        $result = $this->query($sql);
        if ($result === false) {
            return false;
        }
        $rows = $result->columnCount() > 0 ? $result->fetchAll(PDO::FETCH_ASSOC) : [];
        $result->closeCursor();

        return $rows;
    }

    /**
     * @param string $sql
     * @param bool $useCache ignored
     *
     * @return array<string, mixed>|false
     */
    public function getRow($sql, $useCache = true)
    {
        $sql = rtrim($sql, " \t\n\r\0\x0B;");
        if (!preg_match('/\sLIMIT\s+\d+(\s*,\s*\d+)?\s*$/i', $sql)) {
            $sql .= ' LIMIT 1';
        }
        $rows = $this->executeS($sql);
        if ($rows === false || $rows === []) {
            return false;
        }

        return $rows[0];
    }

    /**
     * @param string $sql
     * @param bool $useCache ignored
     *
     * @return string|int|float|null|false first column of the first row
     */
    public function getValue($sql, $useCache = true)
    {
        $row = $this->getRow($sql, $useCache);

        return $row === false ? false : reset($row);
    }

    /**
     * Inserts one row or several. Values are NOT escaped: callers pass them through pSQL(),
     * as with PrestaShop. ['type' => 'sql', 'value' => ...] inserts an SQL expression.
     *
     * @param string $table without prefix unless $addPrefix is false
     * @param array<string, mixed>|array<int, array<string, mixed>> $data
     * @param bool $nullValues write '' and null as NULL
     * @param bool $useCache ignored
     * @param int $type Db::INSERT, Db::INSERT_IGNORE, Db::REPLACE or Db::ON_DUPLICATE_KEY
     * @param bool $addPrefix
     *
     * @return bool
     */
    public function insert($table, $data, $nullValues = false, $useCache = true, $type = self::INSERT, $addPrefix = true)
    {
        if (!$data && !$nullValues) {
            return true;
        }
        $rows = isset($data[0]) && is_array($data[0]) ? $data : [$data];
        $columns = array_keys($rows[0]);
        $tuples = [];
        foreach ($rows as $row) {
            $values = [];
            foreach ($columns as $column) {
                $values[] = $this->formatValue(isset($row[$column]) ? $row[$column] : null, $nullValues);
            }
            $tuples[] = '(' . implode(', ', $values) . ')';
        }
        $verbs = [self::INSERT => 'INSERT', self::INSERT_IGNORE => 'INSERT IGNORE', self::REPLACE => 'REPLACE', self::ON_DUPLICATE_KEY => 'INSERT'];
        $quotedColumns = array_map(function ($column) {
            return '`' . bqSQL($column) . '`';
        }, $columns);
        $sql = (isset($verbs[$type]) ? $verbs[$type] : 'INSERT') . ' INTO `' . ($addPrefix ? _DB_PREFIX_ : '') . bqSQL($table) . '` ('
            . implode(', ', $quotedColumns) . ') VALUES ' . implode(', ', $tuples);
        if ($type === self::ON_DUPLICATE_KEY) {
            $updates = array_map(function ($column) {
                return $column . ' = VALUES(' . $column . ')';
            }, $quotedColumns);
            $sql .= ' ON DUPLICATE KEY UPDATE ' . implode(', ', $updates);
        }

        return $this->execute($sql);
    }

    /**
     * @param string $table
     * @param array<string, mixed> $data values not escaped, as for insert()
     * @param string $where
     * @param int $limit
     * @param bool $nullValues
     * @param bool $useCache ignored
     * @param bool $addPrefix
     *
     * @return bool
     */
    public function update($table, $data, $where = '', $limit = 0, $nullValues = false, $useCache = true, $addPrefix = true)
    {
        $assignments = [];
        foreach ($data as $column => $value) {
            $assignments[] = '`' . bqSQL($column) . '` = ' . $this->formatValue($value, $nullValues);
        }
        $sql = 'UPDATE `' . ($addPrefix ? _DB_PREFIX_ : '') . bqSQL($table) . '` SET ' . implode(', ', $assignments)
            . ($where ? ' WHERE ' . $where : '') . ($limit ? ' LIMIT ' . (int) $limit : '');

        return $this->execute($sql);
    }

    /**
     * @param string $table
     * @param string $where
     * @param int $limit
     * @param bool $useCache ignored
     * @param bool $addPrefix
     *
     * @return bool
     */
    public function delete($table, $where = '', $limit = 0, $useCache = true, $addPrefix = true)
    {
        $sql = 'DELETE FROM `' . ($addPrefix ? _DB_PREFIX_ : '') . bqSQL($table) . '`'
            . ($where ? ' WHERE ' . $where : '') . ($limit ? ' LIMIT ' . (int) $limit : '');

        return $this->execute($sql);
    }

    /**
     * @return int
     */
    public function Insert_ID()
    {
        return (int) $this->getLink()->lastInsertId();
    }

    /**
     * @return int rows changed by the last statement
     */
    public function Affected_Rows()
    {
        return $this->result instanceof PDOStatement ? $this->result->rowCount() : 0;
    }

    /**
     * @return string
     */
    public function getMsgError()
    {
        return $this->lastError;
    }

    /**
     * @return int
     */
    public function getNumberError()
    {
        return $this->lastErrno;
    }

    /**
     * @param string $string
     * @param bool $htmlOK keep HTML tags
     * @param bool $bqSQL also escape backquotes
     *
     * @return string
     */
    public function escape($string, $htmlOK = false, $bqSQL = false)
    {
        if (is_int($string) || is_float($string)) {
            return (string) $string;
        }
        $string = (string) $string;
        if (!$htmlOK) {
            $string = strip_tags($string);
        }
        // PDO::quote() escapes for the connection's charset; drop the quotes it adds.
        $string = substr($this->getLink()->quote($string), 1, -1);

        return $bqSQL ? str_replace('`', '\`', $string) : $string;
    }

    /**
     * @return string
     */
    public function getVersion()
    {
        return (string) $this->getValue('SELECT VERSION()');
    }

    /**
     * @param mixed $value
     * @param bool $nullValues
     *
     * @return string
     */
    protected function formatValue($value, $nullValues)
    {
        if (is_array($value) && isset($value['type']) && $value['type'] === 'sql') {
            return (string) $value['value'];
        }
        if (is_array($value)) {
            $value = isset($value['value']) ? $value['value'] : null;
        }
        if ($value === null || ($nullValues && $value === '')) {
            return $nullValues ? 'NULL' : "''";
        }
        if (is_bool($value)) {
            return $value ? "'1'" : "'0'";
        }

        return "'" . $value . "'";
    }
}
