-- A store locator: places with REAL coordinates, bounding-box prefilters, distance ordering, rounding for display.
CREATE TABLE places (id INTEGER PRIMARY KEY, name TEXT NOT NULL, lat REAL NOT NULL, lon REAL NOT NULL, kind TEXT, rating REAL);
CREATE INDEX places_lat ON places (lat);
CREATE INDEX places_kind_rating ON places (kind, rating DESC);
INSERT INTO places (name, lat, lon, kind, rating) VALUES ('Cafe Uno', 52.5200, 13.4050, 'cafe', 4.5), ('Bakery Two', 52.5210, 13.4100, 'bakery', 4.0), ('Cafe Far', 48.8566, 2.3522, 'cafe', 3.5), ('Deli Three', 52.5150, 13.3900, 'deli', NULL), ('Cafe Near', 52.5190, 13.4070, 'cafe', 4.9), ('Bar Four', 52.5300, 13.4200, 'bar', 3.9);
SELECT name FROM places WHERE lat BETWEEN 52.51 AND 52.53 AND lon BETWEEN 13.39 AND 13.42 ORDER BY name;
SELECT name, round((lat - 52.52) * (lat - 52.52) + (lon - 13.405) * (lon - 13.405), 8) AS d2 FROM places ORDER BY d2, name LIMIT 3;
SELECT name, printf('%.3f,%.3f', lat, lon) AS at FROM places WHERE kind = 'cafe' ORDER BY rating DESC;
SELECT kind, count(*) AS n, round(avg(rating), 2) AS avg_rating, max(rating) AS best FROM places GROUP BY kind ORDER BY n DESC, kind;
SELECT name FROM places WHERE rating IS NULL OR rating < 4 ORDER BY id;
SELECT min(lat), max(lat), round(max(lon) - min(lon), 4) FROM places;
SELECT name, CAST(rating * 2 AS INTEGER) / 2.0 AS stars FROM places WHERE rating IS NOT NULL ORDER BY stars DESC, name;
SELECT name FROM places WHERE abs(lat - 52.52) < 0.005 AND abs(lon - 13.405) < 0.01 ORDER BY abs(lat - 52.52) + abs(lon - 13.405);
UPDATE places SET rating = round(rating + 0.05, 1) WHERE kind = 'cafe' AND rating < 4.9;
SELECT name, rating FROM places WHERE kind = 'cafe' ORDER BY rating DESC, name;
SELECT typeof(lat), typeof(rating), typeof(lat * 1000000) FROM places WHERE id = 4;
SELECT name, lat * 1e6 AS micro FROM places ORDER BY micro DESC LIMIT 2;
DELETE FROM places WHERE lat < 50 RETURNING name;
SELECT count(*) FROM places;
