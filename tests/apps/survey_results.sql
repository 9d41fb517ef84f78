-- A survey tool: questions, answers, aggregated percentages and cross tabs.
CREATE TABLE questions (id INTEGER PRIMARY KEY, text TEXT NOT NULL, kind TEXT CHECK (kind IN ('scale', 'choice', 'text')));
CREATE TABLE answers (id INTEGER PRIMARY KEY, respondent INTEGER NOT NULL, question_id INTEGER NOT NULL, value TEXT, UNIQUE (respondent, question_id));
INSERT INTO questions VALUES (1, 'How satisfied?', 'scale'), (2, 'Favourite colour?', 'choice'), (3, 'Comments', 'text');
INSERT INTO answers (respondent, question_id, value) VALUES
 (1, 1, '5'), (1, 2, 'blue'), (1, 3, 'Great!'), (2, 1, '3'), (2, 2, 'Blue'), (3, 1, '4'), (3, 2, 'red'), (3, 3, ''), (4, 1, 'n/a'), (4, 2, NULL);
INSERT INTO answers (respondent, question_id, value) VALUES (1, 1, '1');
INSERT OR REPLACE INTO answers (respondent, question_id, value) VALUES (2, 1, '2');
SELECT avg(value), avg(CAST(value AS INTEGER)), sum(value), max(value), min(value) FROM answers WHERE question_id = 1;
SELECT value, count(*), round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct FROM answers WHERE question_id = 2 GROUP BY value ORDER BY count(*) DESC, value;
SELECT lower(value) AS v, count(*) FROM answers WHERE question_id = 2 AND value IS NOT NULL GROUP BY lower(value) ORDER BY v;
SELECT value COLLATE NOCASE AS v, count(*) FROM answers WHERE question_id = 2 GROUP BY v ORDER BY v;
SELECT q.text, count(a.id) AS n, count(nullif(a.value, '')) AS non_empty FROM questions q LEFT JOIN answers a ON a.question_id = q.id GROUP BY q.id ORDER BY q.id;
SELECT respondent, max(CASE WHEN question_id = 1 THEN value END) AS q1, max(CASE WHEN question_id = 2 THEN value END) AS q2, max(CASE WHEN question_id = 3 THEN value END) AS q3 FROM answers GROUP BY respondent ORDER BY respondent;
SELECT value, value + 0, typeof(value + 0), value > 3, CAST(value AS REAL) FROM answers WHERE question_id = 1 ORDER BY id;
SELECT count(*) FROM answers WHERE question_id = 1 AND value BETWEEN '3' AND '5';
SELECT count(*) FROM answers WHERE question_id = 1 AND CAST(value AS INTEGER) BETWEEN 3 AND 5;
SELECT respondent FROM answers GROUP BY respondent HAVING count(*) = (SELECT count(*) FROM questions) ORDER BY respondent;
SELECT group_concat(value, ' | ') FROM (SELECT value FROM answers WHERE question_id = 3 AND value <> '' ORDER BY id);
SELECT value GLOB '[0-9]', value LIKE '_', length(value) FROM answers WHERE question_id = 1 ORDER BY id;
SELECT json_group_object(respondent, value) FROM answers WHERE question_id = 1;
SELECT json_group_array(DISTINCT question_id) FROM answers;
SELECT q.kind, count(*) FROM answers a JOIN questions q ON q.id = a.question_id GROUP BY q.kind ORDER BY q.kind;
DELETE FROM answers WHERE value IS NULL OR value = '' OR value = 'n/a';
SELECT count(*), total(CAST(value AS INTEGER)) FROM answers WHERE question_id = 1;
