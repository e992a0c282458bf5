// What a CDC process cost, read from /proc: peak resident memory (VmHWM, the kernel's high-water mark of
// RSS, so no sampling can miss a peak) and CPU seconds (utime + stime of /proc/<pid>/stat).
import { readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux (getconf CLK_TCK)

export interface ProcessUsage { peakRssMb: number; cpuSeconds: number }

export function processUsage(pid: number): ProcessUsage {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const hwmKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  // Fields after the command name (which may hold spaces) start at state, the 3rd field: utime is the 14th, stime the 15th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { peakRssMb: hwmKb / 1024, cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND };
}
