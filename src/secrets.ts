/** Masking known secret values (keys, passwords, tokens) in text that leaves the process. */

export const REDACTED = '[redacted]';

/** `text` with every occurrence of each non-empty secret replaced by `[redacted]`. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length > 0 && out.includes(secret)) out = out.replaceAll(secret, REDACTED);
  }
  return out;
}
