/**
 * Failpoints: a test hook that does nothing in production. The crash-safety tests run the bot as a
 * child process with `DCA_FAILPOINTS=<name>[,<name>...]`; when execution reaches a named point the
 * process SIGKILLs itself, exactly as a power cut or an OOM kill would stop it at that instant.
 * Without the variable every `failpoint()` call is a set lookup on an empty set.
 *
 * Points (side is `buy` or `sell`):
 *   after-write-ahead-<side>      the write-ahead committed, the POST not sent yet
 *   after-post-<side>             the exchange accepted the order, its answer not recorded yet
 *   before-fill-persisted-<side>  a fill arrived on the trade stream, nothing of it recorded yet
 */

/** Read once at import: a point cannot be switched on in a running process. */
const armed: ReadonlySet<string> = new Set(
  (process.env['DCA_FAILPOINTS'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== ''),
);

/** Kills the process at once (no cleanup, no flushing) when `name` is armed. */
export function failpoint(name: string): void {
  if (armed.size === 0 || !armed.has(name)) return;
  process.kill(process.pid, 'SIGKILL');
}
