-- Login sessions: tokens with expiry, sliding renewal, date math in seconds and days, cleanup of expired rows, per-user activity summaries.
CREATE TABLE users (id INTEGER PRIMARY KEY, login TEXT NOT NULL UNIQUE COLLATE NOCASE, created TEXT NOT NULL);
CREATE TABLE sessions (
  token TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  started TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  expires TEXT NOT NULL,
  ip TEXT
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user_id, last_seen);
CREATE INDEX sessions_expires ON sessions(expires);
INSERT INTO users VALUES (1, 'Ann', '2024-01-05 08:00:00'), (2, 'bob', '2024-02-10 12:30:00'), (3, 'Cy', '2024-02-29 23:59:59');
INSERT INTO users VALUES (4, 'ANN', '2024-03-01 00:00:00');
INSERT INTO sessions VALUES ('t1', 1, '2024-03-01 09:00:00', '2024-03-01 09:45:00', datetime('2024-03-01 09:00:00', '+1 hour'), '10.0.0.1');
INSERT INTO sessions VALUES ('t2', 1, '2024-03-02 18:00:00', '2024-03-02 18:05:00', datetime('2024-03-02 18:00:00', '+30 minutes'), '10.0.0.2');
INSERT INTO sessions VALUES ('t3', 2, '2024-03-01 23:30:00', '2024-03-02 00:10:00', datetime('2024-03-01 23:30:00', '+1 day'), NULL);
INSERT INTO sessions VALUES ('t4', 3, '2024-02-28 12:00:00', '2024-02-29 12:00:00', datetime('2024-02-28 12:00:00', '+7 days'), '10.0.0.9');
SELECT token, expires FROM sessions ORDER BY token;
SELECT token FROM sessions WHERE expires > '2024-03-02 00:00:00' ORDER BY expires;
SELECT token, CAST((julianday(last_seen) - julianday(started)) * 24 * 60 AS INTEGER) AS minutes FROM sessions ORDER BY token;
SELECT token, strftime('%s', expires) - strftime('%s', started) AS ttl_seconds FROM sessions ORDER BY token;
SELECT token, unixepoch(last_seen) - unixepoch(started) AS active FROM sessions ORDER BY active DESC, token;
UPDATE sessions SET last_seen = '2024-03-02 18:20:00', expires = datetime('2024-03-02 18:20:00', '+30 minutes') WHERE token = 't2' AND expires > '2024-03-02 18:20:00' RETURNING token, expires;
SELECT u.login, count(s.token) AS sessions, max(s.last_seen) AS last FROM users u LEFT JOIN sessions s ON s.user_id = u.id GROUP BY u.id ORDER BY u.id;
SELECT login FROM users WHERE login = 'ANN';
SELECT date(started) AS day, count(*) FROM sessions GROUP BY day ORDER BY day;
SELECT strftime('%Y-%W', started) AS week, count(*) FROM sessions GROUP BY week ORDER BY week;
SELECT token, date(expires, 'start of month', '+1 month', '-1 day') AS month_end FROM sessions ORDER BY token;
SELECT token, time(last_seen) FROM sessions WHERE time(last_seen) BETWEEN '09:00:00' AND '19:00:00' ORDER BY token;
SELECT login, CAST(julianday('2024-03-03') - julianday(created) AS INTEGER) AS age_days FROM users ORDER BY age_days DESC;
DELETE FROM sessions WHERE expires < '2024-03-02 12:00:00' RETURNING token;
SELECT token, user_id FROM sessions ORDER BY token;
SELECT token FROM sessions WHERE ip IS NULL OR ip LIKE '10.0.0.%' ORDER BY token;
SELECT u.login FROM users u WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = u.id) ORDER BY u.login;
SELECT datetime('2024-03-31', '+1 month'), date('2024-01-31', '+1 month'), date('2024-02-29', '+1 year'), datetime(1709251200, 'unixepoch');
