-- A chat app: conversations, members, messages, unread counts and the latest message.
CREATE TABLE conversations (id INTEGER PRIMARY KEY, title TEXT);
CREATE TABLE members (conversation_id INTEGER, user TEXT, last_read_id INTEGER DEFAULT 0, PRIMARY KEY (conversation_id, user));
CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, conversation_id INTEGER NOT NULL, sender TEXT NOT NULL, body TEXT NOT NULL, sent_at TEXT NOT NULL, edited INTEGER NOT NULL DEFAULT 0);
CREATE INDEX messages_conv ON messages(conversation_id, id);
INSERT INTO conversations VALUES (1, 'general'), (2, 'random'), (3, 'empty');
INSERT INTO members (conversation_id, user) VALUES (1, 'ann'), (1, 'bob'), (2, 'ann'), (3, 'cy');
INSERT INTO messages (conversation_id, sender, body, sent_at) VALUES
 (1, 'ann', 'hi all', '2024-05-01 09:00:00'), (1, 'bob', 'hey 👋', '2024-05-01 09:01:00'), (2, 'ann', 'lunch?', '2024-05-01 11:30:00'),
 (1, 'ann', 'meeting at 10', '2024-05-01 09:05:00'), (2, 'ann', 'anyone?', '2024-05-01 11:45:00');
UPDATE members SET last_read_id = 2 WHERE conversation_id = 1 AND user = 'bob';
SELECT m.conversation_id, m.user, (SELECT count(*) FROM messages x WHERE x.conversation_id = m.conversation_id AND x.id > m.last_read_id AND x.sender <> m.user) AS unread FROM members m ORDER BY 1, 2;
SELECT c.title, msg.body, msg.sent_at FROM conversations c LEFT JOIN messages msg ON msg.id = (SELECT max(id) FROM messages WHERE conversation_id = c.id) ORDER BY c.id;
SELECT c.title, max(msg.sent_at) AS last, msg.body FROM conversations c JOIN messages msg ON msg.conversation_id = c.id GROUP BY c.id ORDER BY last DESC;
SELECT body, length(body), length(CAST(body AS BLOB)), unicode(substr(body, -1)) FROM messages WHERE id = 2;
SELECT id, body FROM messages WHERE conversation_id = 1 AND id < 4 ORDER BY id DESC LIMIT 2;
UPDATE messages SET body = body || ' (edited)', edited = 1 WHERE id = 1 RETURNING id, body, edited;
SELECT sender, count(*) AS n, min(sent_at), max(sent_at) FROM messages GROUP BY sender ORDER BY n DESC;
SELECT strftime('%H:%M', sent_at) AS t, sender || ': ' || body FROM messages WHERE conversation_id = 1 ORDER BY sent_at;
SELECT conversation_id, json_group_array(json_object('id', id, 'from', sender)) FROM messages GROUP BY conversation_id ORDER BY conversation_id;
DELETE FROM messages WHERE conversation_id = 2;
SELECT c.title, count(msg.id) FROM conversations c LEFT JOIN messages msg ON msg.conversation_id = c.id GROUP BY c.title ORDER BY c.title;
SELECT body FROM messages WHERE body LIKE '%👋%';
SELECT upper(body), lower('HEY 👋 ÉCOLE') FROM messages WHERE id = 2;
SELECT instr(body, '👋'), substr(body, 5, 1), replace(body, '👋', ':wave:') FROM messages WHERE id = 2;
INSERT INTO messages (conversation_id, sender, body, sent_at) VALUES (2, 'bob', 'back', '2024-05-02 08:00:00');
SELECT id FROM messages ORDER BY id DESC LIMIT 1;
SELECT * FROM sqlite_sequence;
