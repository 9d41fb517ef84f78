-- A URL shortener: base62 codes made with a recursive CTE, URLs split with instr/substr, hit counters bumped by upsert, pattern matching with LIKE ESCAPE and GLOB.
CREATE TABLE links (id INTEGER PRIMARY KEY, code TEXT UNIQUE, url TEXT NOT NULL, hits INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL DEFAULT '2024-01-01');
INSERT INTO links (id, url) VALUES (1, 'https://example.com/a/b?x=1'), (61, 'http://Example.COM/'), (62, 'https://sub.example.org/path/to/page.html#top'), (3844, 'https://example.com/100%_real'), (238327, 'ftp://files.example.net/pub/file_1.tar.gz');
WITH RECURSIVE enc(id, n, code) AS (SELECT id, id, '' FROM links UNION ALL SELECT id, n / 62, substr('0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', n % 62 + 1, 1) || code FROM enc WHERE n > 0)
UPDATE links SET code = (SELECT code FROM enc WHERE enc.id = links.id AND enc.n = 0);
SELECT id, code, length(code) FROM links ORDER BY id;
WITH RECURSIVE dec(code, rest, n) AS (SELECT code, code, 0 FROM links UNION ALL SELECT code, substr(rest, 2), n * 62 + instr('0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', substr(rest, 1, 1)) - 1 FROM dec WHERE rest <> '')
SELECT code, n FROM dec WHERE rest = '' ORDER BY n;
SELECT id, substr(url, 1, instr(url, '://') - 1) AS scheme, substr(url, instr(url, '://') + 3) AS rest FROM links ORDER BY id;
SELECT id, lower(CASE WHEN instr(substr(url, instr(url, '://') + 3), '/') > 0 THEN substr(substr(url, instr(url, '://') + 3), 1, instr(substr(url, instr(url, '://') + 3), '/') - 1) ELSE substr(url, instr(url, '://') + 3) END) AS host FROM links ORDER BY id;
SELECT id, rtrim(url, '/') AS trimmed, replace(url, 'http://', 'https://') AS secure FROM links ORDER BY id;
SELECT id FROM links WHERE url LIKE '%100\%%' ESCAPE '\' ORDER BY id;
SELECT id FROM links WHERE url LIKE '%file\_1%' ESCAPE '\' ORDER BY id;
SELECT id FROM links WHERE url LIKE '%EXAMPLE.com%' ORDER BY id;
SELECT id FROM links WHERE url GLOB 'http*://*.example.*' ORDER BY id;
SELECT id FROM links WHERE url GLOB '*[0-9].tar.gz' ORDER BY id;
SELECT id FROM links WHERE url NOT GLOB 'https:*' ORDER BY id;
SELECT id, hex(code), unicode(code), char(unicode(code) + 1) FROM links ORDER BY id;
SELECT printf('%08x', id) AS hexid, printf('%-8s|', code) AS padded, printf('%5.1f%%', 100.0 * id / 238327) AS pct FROM links ORDER BY id;
CREATE TABLE daily_hits (code TEXT NOT NULL, day TEXT NOT NULL, hits INTEGER NOT NULL DEFAULT 1, PRIMARY KEY (code, day));
INSERT INTO daily_hits (code, day) VALUES ('1', '2024-03-01') ON CONFLICT (code, day) DO UPDATE SET hits = hits + 1;
INSERT INTO daily_hits (code, day) VALUES ('1', '2024-03-01') ON CONFLICT (code, day) DO UPDATE SET hits = hits + 1;
INSERT INTO daily_hits (code, day, hits) VALUES ('1', '2024-03-01', 5), ('Z', '2024-03-01', 2), ('1', '2024-03-02', 1) ON CONFLICT DO UPDATE SET hits = hits + excluded.hits;
SELECT code, day, hits FROM daily_hits ORDER BY code, day;
UPDATE links SET hits = (SELECT sum(hits) FROM daily_hits d WHERE d.code = links.code) WHERE code IN (SELECT code FROM daily_hits);
SELECT code, hits FROM links ORDER BY hits DESC, id;
UPDATE links SET code = '1' WHERE id = 61;
INSERT OR IGNORE INTO links (code, url) VALUES ('1', 'https://dup.example.com');
SELECT count(*), changes() FROM links;
SELECT code, url FROM links WHERE code = 'z' COLLATE NOCASE OR code = 'Z' ORDER BY id;
SELECT substr(url, -8), substr(url, -8, 3), substr(url, 3, -2) FROM links ORDER BY id;
