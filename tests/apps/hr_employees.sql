-- An HR app: employees, managers (self join), salaries, departments.
CREATE TABLE departments (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, budget INTEGER);
CREATE TABLE employees (id INTEGER PRIMARY KEY, name TEXT NOT NULL, dept_id INTEGER REFERENCES departments(id), manager_id INTEGER REFERENCES employees(id), salary INTEGER, hired TEXT, title TEXT COLLATE NOCASE);
INSERT INTO departments VALUES (1, 'Engineering', 1000000), (2, 'Sales', 300000), (3, 'Empty', NULL);
INSERT INTO employees VALUES (1, 'Zed', 1, NULL, 250000, '2015-03-01', 'CTO'), (2, 'Amy', 1, 1, 180000, '2018-06-15', 'engineer'),
 (3, 'Bo', 1, 2, 120000, '2021-01-10', 'Engineer'), (4, 'Cat', 2, 1, 90000, '2019-09-09', 'sales'), (5, 'Dan', 2, 4, 60000, '2023-02-28', 'Sales'), (6, 'Eve', NULL, NULL, NULL, '2024-01-01', NULL);
SELECT e.name, m.name AS manager FROM employees e LEFT JOIN employees m ON m.id = e.manager_id ORDER BY e.id;
SELECT d.name, count(e.id), avg(e.salary), max(e.salary) FROM departments d LEFT JOIN employees e ON e.dept_id = d.id GROUP BY d.id ORDER BY d.name;
SELECT name, salary, rank() OVER (PARTITION BY dept_id ORDER BY salary DESC) FROM employees WHERE dept_id IS NOT NULL ORDER BY dept_id, salary DESC;
SELECT title, count(*) FROM employees GROUP BY title ORDER BY title;
SELECT DISTINCT title FROM employees ORDER BY title;
SELECT name FROM employees WHERE title = 'ENGINEER' ORDER BY name;
WITH RECURSIVE chain(id, name, depth) AS (SELECT id, name, 0 FROM employees WHERE manager_id IS NULL AND dept_id IS NOT NULL UNION ALL SELECT e.id, e.name, c.depth + 1 FROM employees e JOIN chain c ON e.manager_id = c.id) SELECT printf('%.*c%s', depth * 2, ' ', name) FROM chain ORDER BY id;
SELECT name, CAST((julianday('2024-06-01') - julianday(hired)) / 365.25 AS INTEGER) AS years FROM employees ORDER BY years DESC, name;
SELECT name FROM employees WHERE salary > (SELECT avg(salary) FROM employees) ORDER BY name;
SELECT d.name, sum(e.salary) * 100.0 / d.budget AS pct FROM departments d JOIN employees e ON e.dept_id = d.id GROUP BY d.id ORDER BY d.id;
UPDATE employees SET salary = salary * 1.05 WHERE dept_id = 2;
SELECT name, salary, typeof(salary) FROM employees WHERE dept_id = 2 ORDER BY id;
UPDATE employees SET salary = CAST(round(salary / 1000.0) * 1000 AS INTEGER) WHERE dept_id = 2;
SELECT name, salary FROM employees WHERE dept_id = 2 ORDER BY id;
SELECT name, ntile(2) OVER (ORDER BY salary) FROM employees WHERE salary IS NOT NULL ORDER BY salary;
SELECT e.name FROM employees e WHERE NOT EXISTS (SELECT 1 FROM employees r WHERE r.manager_id = e.id) ORDER BY e.name;
SELECT count(*) FILTER (WHERE hired >= '2020-01-01'), count(*) FILTER (WHERE hired < '2020-01-01') FROM employees;
SELECT strftime('%Y', hired) AS y, group_concat(name, ', ') FROM employees GROUP BY y ORDER BY y;
SELECT name, coalesce(title, 'n/a'), iif(salary IS NULL, 'unpaid', printf('$%,d', salary)) FROM employees ORDER BY id;
DELETE FROM departments WHERE id NOT IN (SELECT dept_id FROM employees WHERE dept_id IS NOT NULL);
SELECT name FROM departments ORDER BY id;
SELECT max(salary) - min(salary), sum(salary) FILTER (WHERE salary > 100000) FROM employees;
