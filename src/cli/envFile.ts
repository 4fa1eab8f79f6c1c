/**
 * Updates `KEY=value` lines of an env file in place: each key's first line is rewritten, later
 * duplicates dropped, missing keys appended; every other line (comments, other variables) is kept.
 * The file is written to a temporary file and renamed, mode 0600: it holds the database password.
 */
import { chmod, chown, readFile, rename, stat, writeFile } from 'node:fs/promises';
import dotenv from 'dotenv';

export interface EnvFile {
  readonly path: string;
  /** Whether the file was there before. */
  readonly existed: boolean;
  /** Its variables, as the bot would read them. */
  readonly values: Record<string, string>;
  readonly text: string;
}

export async function readEnvFile(path: string): Promise<EnvFile> {
  try {
    const text = await readFile(path, 'utf8');
    return { path, existed: true, values: dotenv.parse(text), text };
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'ENOENT') throw err;
    return { path, existed: false, values: {}, text: '' };
  }
}

/** A value dotenv reads back unchanged: quoted when it holds anything but plain characters. */
function quote(value: string): string {
  return /^[\w./:@+-]*$/.test(value) ? value : `'${value}'`;
}

/** The new text: `updates` applied to `text` (see the module comment). */
export function updateEnvText(text: string, updates: Readonly<Record<string, string>>): string {
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const done = new Set<string>();
  const out: string[] = [];
  for (const line of lines) {
    const key = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line)?.[1];
    if (key === undefined || !(key in updates)) {
      out.push(line);
      continue;
    }
    if (done.has(key)) continue;
    done.add(key);
    out.push(`${key}=${quote(updates[key] ?? '')}`);
  }
  for (const [key, value] of Object.entries(updates)) if (!done.has(key)) out.push(`${key}=${quote(value)}`);
  return `${out.join('\n')}\n`;
}

/**
 * Writes the updated file. Its owner is kept; a new file made under sudo is given to the user who
 * ran sudo, so that their `npm start` can read it.
 */
export async function writeEnvFile(file: EnvFile, updates: Readonly<Record<string, string>>): Promise<void> {
  const owner = file.existed ? await stat(file.path) : sudoOwner();
  const tmp = `${file.path}.${process.pid}.tmp`;
  await writeFile(tmp, updateEnvText(file.text, updates), { mode: 0o600 });
  await chmod(tmp, 0o600);
  if (owner && process.getuid?.() === 0) await chown(tmp, owner.uid, owner.gid);
  await rename(tmp, file.path);
}

function sudoOwner(): { uid: number; gid: number } | null {
  const uid = Number(process.env['SUDO_UID']);
  const gid = Number(process.env['SUDO_GID']);
  return Number.isInteger(uid) && Number.isInteger(gid) && uid > 0 ? { uid, gid } : null;
}
