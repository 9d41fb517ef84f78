-- String handling in a contacts app: trimming, case, search, formatting, unicode.
CREATE TABLE contacts (id INTEGER PRIMARY KEY, first TEXT, last TEXT, phone TEXT, note TEXT);
INSERT INTO contacts VALUES
  (1, 'Ada', 'Lovelace', ' 555-0100 ', 'Math'),
  (2, 'émile', 'Zola', '555 0101', ''),
  (3, 'ÅSA', 'Öberg', NULL, NULL),
  (4, 'bob', 'smith', '(555)0102', 'likes 100% cotton'),
  (5, 'Ζωή', 'Παππά', '5550103', 'Ünïcödé');
SELECT id, upper(first), lower(last), length(first), length(last) FROM contacts ORDER BY id;
SELECT id, trim(phone), ltrim(phone), rtrim(phone), trim(phone, ' 5'), replace(phone, '-', '') FROM contacts ORDER BY id;
SELECT first || ' ' || last AS full_name FROM contacts ORDER BY full_name;
SELECT first || NULL, concat(first, NULL, last), concat_ws('-', first, NULL, last) FROM contacts ORDER BY id;
SELECT substr(last, 2), substr(last, 2, 3), substr(last, -3), substr(last, 0, 2), substring(first, 1, 1) FROM contacts ORDER BY id;
SELECT instr(last, 'o'), instr(first, ''), instr(NULL, 'a') FROM contacts ORDER BY id;
SELECT id FROM contacts WHERE first LIKE 'a%' ORDER BY id;
SELECT id FROM contacts WHERE first LIKE '_mile' OR last LIKE '%MITH' ORDER BY id;
SELECT id FROM contacts WHERE note LIKE '%100\%%' ESCAPE '\';
SELECT id FROM contacts WHERE first GLOB '[A-Z]*' ORDER BY id;
SELECT id FROM contacts WHERE last GLOB '*o*' ORDER BY id;
SELECT id FROM contacts WHERE first LIKE 'é%' ORDER BY id;
SELECT id FROM contacts WHERE first LIKE 'É%' ORDER BY id;
SELECT id, note IS NULL, note = '', coalesce(note, '(none)'), ifnull(note, '-'), nullif(note, '') FROM contacts ORDER BY id;
SELECT printf('%-10s|%5d|%05.1f|%x|%c', first, id, id * 1.25, id * 255, last) FROM contacts ORDER BY id;
SELECT format('%s has %d chars', first, length(first)) FROM contacts ORDER BY id;
SELECT printf('%,d', 1234567), printf('%.3e', 12345.678), printf('%g', 0.0001), printf('%q', 'it''s'), printf('%Q', NULL);
SELECT hex(first), unicode(first), char(72, 105), quote(note), quote(id) FROM contacts ORDER BY id;
SELECT reverse(first) FROM contacts WHERE id = 1;
SELECT length(x'0102'), length(123), length(12.50), length(NULL), octet_length('é');
SELECT lower('ÀÉÎ'), upper('àéî ß'), upper('ǆ'), lower('İ');
SELECT first FROM contacts ORDER BY first COLLATE NOCASE;
SELECT first FROM contacts ORDER BY first;
SELECT 'abc' = 'ABC' COLLATE NOCASE, 'abc ' = 'abc' COLLATE RTRIM, 'é' = 'É' COLLATE NOCASE;
SELECT group_concat(first, ', ') FROM (SELECT first FROM contacts ORDER BY id);
SELECT group_concat(first ORDER BY last DESC) FROM contacts;
SELECT string_agg(last, ';' ORDER BY id) FROM contacts;
SELECT soundex('Robert'), likely(1), unlikely(2), ltrim('xxyx', 'x');
SELECT replace('aaa', 'a', 'bb'), replace('abc', '', 'x'), replace(NULL, 'a', 'b');
SELECT 'It''s', "first" FROM contacts WHERE id = 1;
