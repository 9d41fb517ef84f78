-- A messaging app's "latest per conversation" and other bare-column habits: max() naming its row, a bare column beside count(), GROUP BY a case-folded e-mail.
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT);
CREATE TABLE messages (id INTEGER PRIMARY KEY, conversation INTEGER NOT NULL, sender INTEGER REFERENCES users(id), body TEXT, sent_at TEXT NOT NULL);
INSERT INTO users VALUES (1, 'Ann@Example.com', 'Ann'), (2, 'bob@example.com', 'Bob'), (3, 'ann@example.com', 'Ann B'), (4, 'BOB@example.com', NULL);
INSERT INTO messages VALUES (1, 10, 1, 'hi', '2024-05-01 09:00'), (2, 10, 2, 'hello', '2024-05-01 09:05'), (3, 11, 3, 'yo', '2024-05-02 10:00'),
 (4, 10, 1, 'lunch?', '2024-05-01 11:30'), (5, 11, 2, 'sure', '2024-05-02 09:59'), (6, 12, 4, 'ping', '2024-05-03 08:00');
SELECT conversation, body, max(sent_at) FROM messages GROUP BY conversation ORDER BY conversation;
SELECT conversation, sender, min(sent_at) AS first FROM messages GROUP BY conversation ORDER BY first;
SELECT lower(email) AS mail, count(*), min(id) FROM users GROUP BY lower(email) ORDER BY mail;
SELECT email, count(*) FROM users GROUP BY email COLLATE NOCASE ORDER BY 1 COLLATE NOCASE;
SELECT conversation, count(*), body FROM messages GROUP BY conversation ORDER BY conversation;
SELECT u.name, count(m.id), m.body FROM users u LEFT JOIN messages m ON m.sender = u.id GROUP BY u.id ORDER BY u.id;
SELECT m.* FROM messages m JOIN (SELECT conversation, max(sent_at) AS last FROM messages GROUP BY conversation) l ON l.conversation = m.conversation AND l.last = m.sent_at ORDER BY m.conversation;
SELECT conversation, group_concat(body, '|') FROM (SELECT * FROM messages ORDER BY sent_at) GROUP BY conversation ORDER BY conversation;
SELECT substr(sent_at, 1, 10) AS day, count(*), max(id) FROM messages GROUP BY day ORDER BY day DESC;
SELECT id, body FROM messages WHERE (conversation, sent_at) IN (SELECT conversation, max(sent_at) FROM messages GROUP BY conversation) ORDER BY id;
SELECT name, count(*) FROM users GROUP BY name ORDER BY name NULLS LAST;
SELECT count(DISTINCT lower(email)), count(DISTINCT email) FROM users;
