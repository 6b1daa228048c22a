import { readFileSync } from 'node:fs';

/**
 * The machine's load while a figure is measured (/proc/stat and /proc/loadavg): every figure says how
 * busy the cores were, since the service, PostgreSQL and the load generators share them.
 */
export type MachineLoad = { busyPercent: number; loadAverage: number; text: string };

function cpuTimes(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  const total = values.reduce((sum, value) => sum + value, 0);
  return { busy: total - idle, total };
}

/** Starts watching; the returned function stops and tells the average over the span. */
export function watchMachine(): () => MachineLoad {
  const start = cpuTimes();
  const loads: number[] = [];
  const sample = () => loads.push(Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]));
  sample();
  const timer = setInterval(sample, 1000);
  return () => {
    clearInterval(timer);
    sample();
    const end = cpuTimes();
    const busyPercent = end.total > start.total ? Math.round(((end.busy - start.busy) / (end.total - start.total)) * 100) : 0;
    const loadAverage = Math.max(...loads);
    return { busyPercent, loadAverage, text: `CPU ${busyPercent} % busy, load ${loadAverage.toFixed(1)}` };
  };
}
