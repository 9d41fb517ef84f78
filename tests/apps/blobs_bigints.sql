-- Files stored as blobs with big integer sizes and hashes.
CREATE TABLE files (id INTEGER PRIMARY KEY, name TEXT, data BLOB, size INTEGER, checksum INTEGER);
INSERT INTO files VALUES (1, 'a.bin', x'DEADBEEF', 4, 9007199254740993), (2, 'empty', x'', 0, -9223372036854775808),
  (3, 'null', NULL, NULL, 9223372036854775807), (4, 'text', CAST('hello' AS BLOB), 5, 0);
SELECT id, hex(data), length(data), typeof(data), quote(data) FROM files ORDER BY id;
SELECT id, checksum, checksum + 0, checksum * 1.0 FROM files ORDER BY id;
SELECT sum(size), sum(checksum) FROM files WHERE id < 3;
SELECT id FROM files WHERE data = x'deadbeef';
SELECT id FROM files WHERE data > x'00' ORDER BY id;
SELECT substr(data, 2, 2), hex(substr(data, 2, 2)) FROM files WHERE id = 1;
SELECT data || 'x', typeof(data || 'x') FROM files WHERE id = 4;
SELECT zeroblob(3), hex(zeroblob(3)), length(randomblob(16)), typeof(randomblob(4));
SELECT unhex('414243'), unhex('zz'), unhex('41 42', ' ');
SELECT instr(x'00010203', x'0203'), x'41' = 'A', CAST(x'41' AS TEXT) = 'A';
SELECT 9223372036854775807, -9223372036854775808, 9223372036854775808, -9223372036854775809;
SELECT 0x7FFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF, 0x10, -0x10;
SELECT 1000000000 * 1000000000, 10000000000 * 10000000000;
SELECT typeof(9223372036854775808), typeof(1e3), typeof(100);
SELECT checksum FROM files ORDER BY checksum;
SELECT max(checksum), min(checksum) FROM files;
SELECT id, checksum % 1000, checksum / 1000 FROM files ORDER BY id;
SELECT 1 << 62, 1 << 63, 1 << 64, -1 >> 1, 5 & 3, 5 | 3, ~5;
SELECT random() IS NOT NULL, typeof(random()), abs(random() % 10) < 10;
UPDATE files SET data = x'0A0B' WHERE id = 3 RETURNING id, hex(data);
SELECT count(*) FROM files WHERE data IS NULL;
