-- A job queue: enqueue with priorities, claim the next job with UPDATE .. RETURNING, retry with backoff, reap stale locks, report throughput.
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  queue TEXT NOT NULL DEFAULT 'default',
  kind TEXT NOT NULL,
  payload TEXT NOT NULL DEFAULT '{}',
  priority INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL DEFAULT 'ready' CHECK (state IN ('ready', 'running', 'done', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  run_at TEXT NOT NULL DEFAULT '2024-01-01 00:00:00',
  locked_at TEXT,
  finished_at TEXT,
  error TEXT
);
CREATE INDEX jobs_ready ON jobs(queue, priority DESC, run_at) WHERE state = 'ready';
CREATE INDEX jobs_state ON jobs(state);
INSERT INTO jobs (kind, payload, priority) VALUES ('email', '{"to":"a@x.io"}', 5), ('email', '{"to":"b@x.io"}', 1), ('resize', '{"w":100}', 5), ('report', '{"month":3}', 9);
INSERT INTO jobs (queue, kind, priority, run_at) VALUES ('slow', 'export', 3, '2024-01-01 00:10:00'), ('slow', 'export', 3, '2024-01-01 00:05:00');
SELECT id, kind, priority FROM jobs WHERE state = 'ready' AND queue = 'default' ORDER BY priority DESC, run_at, id;
UPDATE jobs SET state = 'running', locked_at = '2024-01-01 01:00:00', attempts = attempts + 1 WHERE id = (SELECT id FROM jobs WHERE state = 'ready' AND queue = 'default' AND run_at <= '2024-01-01 01:00:00' ORDER BY priority DESC, run_at, id LIMIT 1) RETURNING id, kind, attempts;
UPDATE jobs SET state = 'running', locked_at = '2024-01-01 01:00:05', attempts = attempts + 1 WHERE id = (SELECT id FROM jobs WHERE state = 'ready' AND queue = 'default' ORDER BY priority DESC, run_at, id LIMIT 1) RETURNING id, kind, json_extract(payload, '$.to') AS recipient;
UPDATE jobs SET state = 'done', finished_at = '2024-01-01 01:00:30' WHERE id = 4 RETURNING id, (julianday(finished_at) - julianday(locked_at)) * 86400 AS seconds;
UPDATE jobs SET state = 'ready', error = 'smtp timeout', run_at = datetime(locked_at, '+' || (attempts * attempts * 30) || ' seconds'), locked_at = NULL WHERE id = 1 RETURNING id, run_at, error;
SELECT id, state, attempts, run_at FROM jobs ORDER BY id;
SELECT id FROM jobs INDEXED BY jobs_ready WHERE state = 'ready' AND queue = 'slow' ORDER BY run_at;
SELECT queue, id FROM jobs INDEXED BY jobs_ready WHERE state = 'ready';
SELECT state, count(*) FROM jobs INDEXED BY jobs_state GROUP BY state;
UPDATE jobs SET state = 'running', locked_at = '2024-01-01 00:30:00' WHERE id IN (5, 6);
UPDATE jobs SET state = 'ready', locked_at = NULL, attempts = attempts + 1 WHERE state = 'running' AND locked_at < datetime('2024-01-01 01:00:00', '-15 minutes') RETURNING id;
SELECT id, state, locked_at FROM jobs WHERE state <> 'done' ORDER BY id;
UPDATE jobs SET state = 'failed', error = 'gave up' WHERE attempts >= 2 AND state = 'ready' RETURNING id, kind;
SELECT kind, count(*) AS total, sum(state = 'done') AS done, sum(state = 'failed') AS failed, max(attempts) AS most_attempts FROM jobs GROUP BY kind ORDER BY kind;
SELECT strftime('%H:%M', run_at) AS slot, count(*) FROM jobs GROUP BY slot ORDER BY slot;
DELETE FROM jobs WHERE state IN ('done', 'failed') RETURNING id;
SELECT count(*), min(id), max(id) FROM jobs;
SELECT id, kind, json_extract(payload, '$.w') AS width FROM jobs WHERE json_extract(payload, '$.w') IS NOT NULL;
