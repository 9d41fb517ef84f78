-- An event-sourcing log replayed into state: payloads read with json_extract and ->>, state rebuilt with json_group_array and json_object, projections checked against the log.
CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, stream TEXT NOT NULL, kind TEXT NOT NULL, payload TEXT NOT NULL CHECK (json_valid(payload)), at TEXT NOT NULL);
INSERT INTO events (stream, kind, payload, at) VALUES
  ('acct-1', 'opened', '{"owner":"Ana","currency":"EUR","limit":500}', '2024-01-01T09:00:00'),
  ('acct-1', 'deposited', '{"amount":120.5,"ref":"d1"}', '2024-01-02T10:00:00'),
  ('acct-2', 'opened', '{"owner":"Bo","currency":"USD","tags":["vip","new"]}', '2024-01-02T11:00:00'),
  ('acct-1', 'withdrew', '{"amount":20,"ref":"w1","meta":{"atm":true,"fee":1.5}}', '2024-01-03T08:30:00'),
  ('acct-2', 'deposited', '{"amount":1000,"ref":"d2"}', '2024-01-03T09:00:00'),
  ('acct-2', 'renamed', '{"owner":"Bo B."}', '2024-01-04T12:00:00'),
  ('acct-1', 'deposited', '{"amount":"7","ref":null}', '2024-01-05T16:45:00'),
  ('acct-2', 'closed', '{}', '2024-01-06T00:00:00');
INSERT INTO events (stream, kind, payload, at) VALUES ('acct-3', 'opened', '{bad json', '2024-01-07');
SELECT seq, stream, kind, json_extract(payload, '$.amount') AS amount, typeof(json_extract(payload, '$.amount')) AS t FROM events ORDER BY seq;
SELECT seq, payload ->> '$.ref' AS ref, payload -> '$.ref' AS ref_json, payload ->> 'amount' AS short, payload -> '$.meta' ->> '$.fee' AS fee FROM events ORDER BY seq;
SELECT stream, sum(CASE kind WHEN 'deposited' THEN payload ->> '$.amount' WHEN 'withdrew' THEN -(payload ->> '$.amount') - coalesce(payload ->> '$.meta.fee', 0) ELSE 0 END) AS balance FROM events GROUP BY stream ORDER BY stream;
SELECT stream, (SELECT e2.payload ->> '$.owner' FROM events e2 WHERE e2.stream = e.stream AND e2.payload ->> '$.owner' IS NOT NULL ORDER BY e2.seq DESC LIMIT 1) AS owner, max(kind = 'closed') AS closed FROM events e GROUP BY stream ORDER BY stream;
SELECT stream, json_group_array(kind) AS kinds FROM (SELECT * FROM events ORDER BY seq) GROUP BY stream ORDER BY stream;
SELECT json_group_object(stream, n) FROM (SELECT stream, count(*) AS n FROM events GROUP BY stream ORDER BY stream);
SELECT json_object('stream', stream, 'events', count(*), 'first', min(at), 'amounts', json_group_array(payload -> '$.amount')) AS summary FROM (SELECT * FROM events ORDER BY seq) GROUP BY stream ORDER BY stream;
CREATE TABLE snapshots (stream TEXT PRIMARY KEY, state TEXT NOT NULL, version INTEGER NOT NULL);
INSERT INTO snapshots SELECT stream, json_object('owner', json_extract(payload, '$.owner'), 'currency', json_extract(payload, '$.currency'), 'balance', 0), seq FROM events WHERE kind = 'opened';
UPDATE snapshots SET state = json_set(state, '$.balance', json_extract(state, '$.balance') + (SELECT total(payload ->> '$.amount') FROM events e WHERE e.stream = snapshots.stream AND e.kind = 'deposited')), version = (SELECT max(seq) FROM events e WHERE e.stream = snapshots.stream);
UPDATE snapshots SET state = json_set(state, '$.owner', (SELECT payload ->> '$.owner' FROM events e WHERE e.stream = snapshots.stream AND kind = 'renamed'), '$.closed', json('true')) WHERE stream IN (SELECT stream FROM events WHERE kind = 'closed');
SELECT stream, state, version FROM snapshots ORDER BY stream;
SELECT stream, state ->> '$.balance' AS bal, json_type(state, '$.closed') AS closed_type, json_extract(state, '$.closed', '$.owner') AS pair FROM snapshots ORDER BY stream;
SELECT e.seq, j.key, j.value, j.type FROM events e, json_each(e.payload) j WHERE e.kind = 'opened' ORDER BY e.seq, j.key;
SELECT e.seq, t.fullkey, t.atom FROM events e, json_tree(e.payload) t WHERE e.seq IN (3, 4) AND t.atom IS NOT NULL ORDER BY e.seq, t.fullkey;
SELECT seq, json_array_length(payload, '$.tags'), payload ->> '$.tags[0]', payload ->> '$.tags[#-1]', json_remove(payload, '$.tags[0]', '$.currency') FROM events WHERE kind = 'opened' ORDER BY seq;
SELECT seq, json_insert(payload, '$.amount', 0, '$.seen', 1), json_replace(payload, '$.amount', 0), json_patch(payload, '{"ref":null,"v":2}') FROM events WHERE kind IN ('deposited', 'closed') ORDER BY seq;
SELECT kind, count(*) FROM events WHERE json_extract(payload, '$.amount') > 50 OR payload ->> '$.meta.atm' GROUP BY kind ORDER BY kind;
SELECT seq, date(at), time(at), strftime('%Y-%m', at) FROM events WHERE at >= '2024-01-03' AND at < '2024-01-05' ORDER BY at;
SELECT json_quote(payload ->> '$.owner'), json_array(seq, kind, NULL, 1.50), json('  {"a" : [1, 2.0 , "x"]} ') FROM events WHERE kind = 'opened' ORDER BY seq;
SELECT stream, group_concat(payload ->> '$.ref', ',') FILTER (WHERE payload ->> '$.ref' IS NOT NULL) AS refs FROM (SELECT * FROM events ORDER BY seq) GROUP BY stream ORDER BY stream;
SELECT seq, json_valid(payload), json_error_position(payload) FROM events ORDER BY seq DESC LIMIT 2;
SELECT name, seq FROM sqlite_sequence;
