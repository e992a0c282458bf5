// The MariaDB load generator, its own process so its work is not counted as either tool's:
// `node mariadb-writer.js <url> <table> mixed <events> <preexistingRows>` — one-statement transactions over
//    4 connections: 50% insert, 30% update (upper half of the pre-existing rows), 20% delete (ids from 1 up);
// `node mariadb-writer.js <url> <table> rate <rate> <seconds>` — one-row inserts at a fixed rate (10 ms ticks).
import mysql from 'mysql2/promise';
import { writeAtRate } from '../lib/at-rate.js';

const [url, table, mode, a, b] = process.argv.slice(2);
const u = new URL(url!);
const pool = mysql.createPool({ host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database: u.pathname.slice(1), connectionLimit: 4 });
const insert = () => pool.query(`INSERT INTO ${table} (payload, amount) VALUES (REPEAT('x', 160), ROUND(RAND() * 100000, 2))`);

if (mode === 'mixed') {
  const events = Number(a);
  const rows = Number(b);
  let next = 0;
  let deleted = 0;
  const statement = (i: number) => {
    const slot = i % 10;
    if (slot < 5) return insert();
    if (slot < 8) {
      const id = Math.floor(rows / 2) + 1 + Math.floor(Math.random() * Math.ceil(rows / 2));
      return pool.query(`UPDATE ${table} SET payload = REPEAT('u', 160), amount = ROUND(RAND() * 100000, 2) WHERE id = ?`, [id]);
    }
    return pool.query(`DELETE FROM ${table} WHERE id = ?`, [++deleted]);
  };
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next < events) await statement(next++);
  }));
} else {
  await writeAtRate(insert, Number(a), Number(b));
}
await pool.end();
