// A load generator for bench/mysql-stream, run as its own process so its work and memory are not
// counted as logtap's: `node mysql-rate-writer.js <url> <table> <transactions|0> <rate|0> <seconds>`.
// rate 0: as fast as 4 connections go; otherwise a fixed rate of one-row transactions per second.
import mysql from 'mysql2/promise';
import { writeAtRate } from './at-rate.js';

const [url, table, total, rate, seconds] = process.argv.slice(2);
const u = new URL(url!);
const pool = mysql.createPool({ host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database: u.pathname.slice(1), connectionLimit: 4 });
const insert = () => pool.query(`INSERT INTO ${table} (payload, amount) VALUES (REPEAT('x', 160), ROUND(RAND() * 100000, 2))`);

if (Number(rate) === 0) {
  let left = Number(total);
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (left-- > 0) await insert();
  }));
} else {
  await writeAtRate(insert, Number(rate), Number(seconds));
}
await pool.end();
