-- A notification inbox: unread counts through a partial index, EXISTS / NOT EXISTS and
-- LEFT JOIN .. IS NULL anti-joins for mutes and receipts, UPDATE .. FROM to mark read,
-- deletes of old read items.
CREATE TABLE users (id INTEGER PRIMARY KEY, handle TEXT NOT NULL UNIQUE, digest TEXT NOT NULL DEFAULT 'daily' CHECK (digest IN ('off', 'daily', 'weekly')));
CREATE TABLE notifications (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), kind TEXT NOT NULL, source_id INTEGER, body TEXT NOT NULL, created_at TEXT NOT NULL, read_at TEXT);
CREATE INDEX notifications_unread ON notifications(user_id, created_at) WHERE read_at IS NULL;
CREATE TABLE mutes (user_id INTEGER NOT NULL, kind TEXT NOT NULL, PRIMARY KEY (user_id, kind));
CREATE TABLE receipts (notification_id INTEGER PRIMARY KEY, delivered_at TEXT NOT NULL);
INSERT INTO users (id, handle, digest) VALUES (1, 'ana', 'daily'), (2, 'ben', 'off'), (3, 'cy', 'weekly'), (4, 'dee', 'daily');
INSERT INTO users (handle, digest) VALUES ('eve', 'hourly');
INSERT INTO notifications (user_id, kind, source_id, body, created_at, read_at) VALUES
 (1, 'mention', 10, 'ben mentioned you', '2024-06-01 09:00', NULL),
 (1, 'like', 11, 'cy liked your post', '2024-06-01 09:30', '2024-06-01 10:00'),
 (1, 'follow', NULL, 'dee followed you', '2024-06-02 08:00', NULL),
 (2, 'mention', 12, 'ana mentioned you', '2024-06-02 12:00', NULL),
 (2, 'like', 13, 'ana liked your post', '2024-06-03 12:00', NULL),
 (3, 'like', 14, 'ben liked your post', '2024-05-20 12:00', '2024-05-21 12:00'),
 (3, 'mention', 15, 'dee mentioned you', '2024-06-03 18:00', NULL),
 (4, 'follow', NULL, 'ana followed you', '2024-06-04 07:00', NULL);
INSERT INTO mutes VALUES (2, 'like'), (3, 'follow');
INSERT INTO receipts VALUES (1, '2024-06-01 09:00:05'), (4, '2024-06-02 12:00:02'), (7, '2024-06-03 18:00:09');
SELECT user_id, count(*) FROM notifications WHERE read_at IS NULL GROUP BY user_id ORDER BY user_id;
SELECT u.handle, (SELECT count(*) FROM notifications n WHERE n.user_id = u.id AND n.read_at IS NULL) AS unread FROM users u ORDER BY u.handle;
-- Visible notifications: not of a muted kind.
SELECT n.id, n.kind FROM notifications n WHERE NOT EXISTS (SELECT 1 FROM mutes m WHERE m.user_id = n.user_id AND m.kind = n.kind) ORDER BY n.id;
-- Undelivered ones: no receipt (anti-join).
SELECT n.id, n.user_id FROM notifications n LEFT JOIN receipts r ON r.notification_id = n.id WHERE r.notification_id IS NULL AND n.read_at IS NULL ORDER BY n.id;
SELECT handle FROM users u WHERE EXISTS (SELECT 1 FROM notifications n WHERE n.user_id = u.id AND n.kind = 'mention' AND n.read_at IS NULL) ORDER BY handle;
SELECT handle FROM users u WHERE u.digest <> 'off' AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.user_id = u.id AND n.read_at IS NULL) ORDER BY handle;
-- Mark everything delivered as read, stamped with the receipt time.
UPDATE notifications SET read_at = r.delivered_at FROM receipts r WHERE r.notification_id = notifications.id AND notifications.read_at IS NULL;
SELECT changes();
SELECT id, read_at FROM notifications ORDER BY id;
-- Mark all of a user's mentions read, returning them.
UPDATE notifications SET read_at = '2024-06-05 00:00' WHERE user_id = 3 AND read_at IS NULL RETURNING id, kind;
UPDATE notifications AS n SET body = body || ' (muted)' FROM mutes m WHERE m.user_id = n.user_id AND m.kind = n.kind;
SELECT id, body FROM notifications WHERE body LIKE '%(muted)' ORDER BY id;
SELECT u.handle, n.kind, count(*) AS c, max(n.created_at) AS latest FROM users u JOIN notifications n ON n.user_id = u.id GROUP BY u.handle, n.kind HAVING count(*) >= 1 ORDER BY u.handle, n.kind;
-- Housekeeping: read notifications older than a week before 2024-06-05 go.
DELETE FROM notifications WHERE read_at IS NOT NULL AND created_at < datetime('2024-06-05', '-7 days');
SELECT changes(), total_changes() > 0;
SELECT id FROM notifications ORDER BY id;
INSERT INTO mutes VALUES (2, 'like');
INSERT OR IGNORE INTO mutes VALUES (2, 'like'), (2, 'mention');
SELECT * FROM mutes ORDER BY user_id, kind;
SELECT n.user_id, sum(n.read_at IS NULL) AS unread, sum(n.read_at IS NOT NULL) AS read FROM notifications n GROUP BY n.user_id ORDER BY n.user_id;
