/**
 * The one in-memory log destination: every JSON line a logger writes, kept as written and parsed, so
 * a test reads the real output instead of mocking the logger. `DCA_FAULT_LOG=stdout` also echoes the
 * lines, to watch a failing run.
 */
import { type Logger, pino } from 'pino';

/** One parsed JSON log line. */
export interface LogLine {
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface LogSink {
  /** Every line written so far, parsed. */
  readonly lines: LogLine[];
  /** A pino destination, e.g. for `createLogger(opts, sink.stream)`. */
  readonly stream: { write(chunk: string): void };
  /** A plain pino logger writing here. */
  readonly logger: Logger;
  /** Everything written, as text (for checks on the serialised form, e.g. redaction). */
  text(): string;
}

export function logSink(level = 'debug'): LogSink {
  const lines: LogLine[] = [];
  const chunks: string[] = [];
  const echo = process.env['DCA_FAULT_LOG'] === 'stdout';
  const stream = {
    write(chunk: string) {
      if (echo) process.stdout.write(chunk);
      chunks.push(chunk);
      for (const text of chunk.split('\n')) if (text.trim() !== '') lines.push(JSON.parse(text) as LogLine);
    },
  };
  return { lines, stream, logger: pino({ level }, stream), text: () => chunks.join('') };
}
