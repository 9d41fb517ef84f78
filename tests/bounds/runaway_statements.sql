-- Statements that would hold far more memory than a machine has: a recursive UNION
-- that remembers a billion rows, and a sort over a 10^9-row cross join. Run by
-- runaway_in_cgroup.sh under the default memory budget; each must fail with MemoryBudget.
PRAGMA max_memory;
WITH RECURSIVE r(x) AS (SELECT 1 UNION SELECT x + 1 FROM r WHERE x < 1000000000) SELECT count(*) FROM r;
CREATE TABLE a(x INTEGER PRIMARY KEY, pad TEXT);
WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r WHERE x < 31623) INSERT INTO a SELECT x, printf('%020d', x) FROM r;
SELECT count(*) FROM a;
SELECT a.x, b.x, a.pad FROM a, a AS b ORDER BY a.pad || b.pad LIMIT -1 OFFSET 999999999;
SELECT memory_used_bytes FROM ember_stats;
