-- A car-rental fleet: bookings as text dates, overlap checks with julianday and BETWEEN, RIGHT and FULL joins for availability, UPDATE ... FROM for settling invoices.
CREATE TABLE cars (id INTEGER PRIMARY KEY, plate TEXT NOT NULL UNIQUE, model TEXT NOT NULL, class TEXT NOT NULL CHECK (class IN ('eco', 'mid', 'suv')), daily_rate REAL NOT NULL, odometer INTEGER NOT NULL DEFAULT 0);
CREATE TABLE rentals (id INTEGER PRIMARY KEY, car_id INTEGER REFERENCES cars(id), customer TEXT NOT NULL, pickup TEXT NOT NULL, dropoff TEXT NOT NULL, km_out INTEGER, km_in INTEGER, invoiced REAL, CHECK (dropoff >= pickup));
INSERT INTO cars (id, plate, model, class, daily_rate, odometer) VALUES (1, 'AB-101', 'Fiat Panda', 'eco', 29.5, 41200), (2, 'AB-102', 'VW Golf', 'mid', 45, 18800), (3, 'CD-201', 'Toyota RAV4', 'suv', 72.25, 5600), (4, 'CD-202', 'Skoda Octavia', 'mid', 48.0, 91000), (5, 'EF-301', 'Dacia Duster', 'suv', 55, 0);
INSERT INTO rentals (id, car_id, customer, pickup, dropoff, km_out, km_in) VALUES
  (1, 1, 'Ana', '2024-03-01', '2024-03-04', 41200, 41650),
  (2, 2, 'Ben', '2024-03-02', '2024-03-02', 18800, 18890),
  (3, 1, 'Cleo', '2024-03-10', '2024-03-15', 41650, 42300),
  (4, 3, 'Dev', '2024-02-27', '2024-03-03', 5600, 6420),
  (5, 4, 'Eli', '2024-03-14', '2024-03-21', 91000, NULL),
  (6, 2, 'Fay', '2024-03-05', '2024-03-09', 18890, 19400),
  (7, NULL, 'Gus', '2024-03-20', '2024-03-22', NULL, NULL);
INSERT INTO rentals (car_id, customer, pickup, dropoff) VALUES (5, 'Hal', '2024-03-09', '2024-03-08');
SELECT id, customer, julianday(dropoff) - julianday(pickup) + 1 AS days, CAST(julianday(dropoff) - julianday(pickup) AS INTEGER) AS nights FROM rentals ORDER BY id;
SELECT r.id, c.plate, (julianday(r.dropoff) - julianday(r.pickup) + 1) * c.daily_rate AS base_price FROM rentals r JOIN cars c ON c.id = r.car_id ORDER BY base_price DESC, r.id;
SELECT id, customer FROM rentals WHERE '2024-03-03' BETWEEN pickup AND dropoff ORDER BY id;
SELECT id, customer FROM rentals WHERE pickup BETWEEN '2024-03-01' AND '2024-03-09' AND dropoff NOT BETWEEN '2024-03-01' AND '2024-03-04' ORDER BY id;
SELECT a.id AS first, b.id AS second, a.car_id FROM rentals a JOIN rentals b ON a.car_id = b.car_id AND a.id < b.id AND a.pickup <= b.dropoff AND b.pickup <= a.dropoff ORDER BY a.id, b.id;
SELECT c.plate FROM cars c WHERE NOT EXISTS (SELECT 1 FROM rentals r WHERE r.car_id = c.id AND r.pickup <= '2024-03-16' AND r.dropoff >= '2024-03-12') ORDER BY c.plate;
SELECT c.plate, r.customer FROM rentals r RIGHT JOIN cars c ON c.id = r.car_id AND r.pickup >= '2024-03-05' ORDER BY c.plate, r.customer;
SELECT coalesce(c.plate, '(no car)') AS plate, coalesce(r.customer, '(idle)') AS customer FROM cars c FULL OUTER JOIN rentals r ON r.car_id = c.id ORDER BY plate, customer;
SELECT c.class, count(r.id) AS rentals, sum(r.km_in - r.km_out) AS km, round(avg(r.km_in - r.km_out), 1) AS avg_km FROM cars c LEFT JOIN rentals r ON r.car_id = c.id GROUP BY c.class ORDER BY c.class;
UPDATE rentals SET invoiced = round((julianday(dropoff) - julianday(pickup) + 1) * cars.daily_rate + max(0, km_in - km_out - 300) * 0.25, 2) FROM cars WHERE cars.id = rentals.car_id AND rentals.km_in IS NOT NULL;
SELECT id, invoiced, typeof(invoiced) FROM rentals ORDER BY id;
UPDATE cars SET odometer = t.last_km FROM (SELECT car_id, max(km_in) AS last_km FROM rentals GROUP BY car_id) AS t WHERE t.car_id = cars.id AND t.last_km > cars.odometer;
SELECT id, plate, odometer FROM cars ORDER BY id;
SELECT strftime('%Y-%W', pickup) AS week, count(*) AS n, group_concat(customer, '/') FROM (SELECT * FROM rentals ORDER BY customer) GROUP BY week ORDER BY week;
SELECT date(pickup, '+' || (julianday(dropoff) - julianday(pickup)) || ' days', '+1 day') AS return_by, customer FROM rentals WHERE car_id IS NOT NULL ORDER BY return_by, customer;
WITH RECURSIVE days(day) AS (SELECT '2024-03-01' UNION ALL SELECT date(day, '+1 day') FROM days WHERE day < '2024-03-07') SELECT d.day, count(r.id) AS cars_out FROM days d LEFT JOIN rentals r ON d.day BETWEEN r.pickup AND r.dropoff AND r.car_id IS NOT NULL GROUP BY d.day ORDER BY d.day;
SELECT plate, model, daily_rate, CASE class WHEN 'eco' THEN daily_rate * 0.9 WHEN 'suv' THEN daily_rate * 1.1 ELSE daily_rate END AS seasonal FROM cars ORDER BY seasonal, plate;
DELETE FROM rentals WHERE car_id IS NULL RETURNING id, customer;
SELECT count(*), min(pickup), max(dropoff), julianday(max(dropoff)) - julianday(min(pickup)) FROM rentals;
SELECT customer, pickup FROM rentals WHERE pickup > '2024-3-5' ORDER BY pickup;
SELECT customer, date(pickup) = pickup AS canonical, pickup < '2024-03-10T00:00' FROM rentals ORDER BY id;
