/**
 * A progress bar on stderr (stdout stays clean for `--json`): redrawn in place on a terminal, one
 * line per tenth otherwise (logs, CI).
 */
import type { CliIo } from './io.js';

export type Progress = (done: number, total: number) => void;

export function progressBar(io: CliIo, label: string): Progress {
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  const started = Date.now();
  let lastTenth = -1;
  return (done, total) => {
    const share = total > 0 ? done / total : 1;
    const elapsed = ((Date.now() - started) / 1000).toFixed(1);
    if (tty) {
      const width = 30;
      const filled = Math.round(share * width);
      const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
      io.stderr.write(`\r${label} [${bar}] ${done}/${total} ${elapsed}s${done >= total ? '\n' : ''}`);
      return;
    }
    const tenth = Math.floor(share * 10);
    if (tenth === lastTenth) return;
    lastTenth = tenth;
    io.stderr.write(`${label}: ${done}/${total} (${Math.round(share * 100)} %) ${elapsed}s\n`);
  };
}
