/** Masking known secret values (keys, passwords, tokens) in text that leaves the process. */

export const REDACTED = '[redacted]';

/**
 * Shorter secrets are not masked inside text: replacing every `dca` would garble each line that
 * mentions `dca_assets` (and the gaps would spell out the secret). Keys named like secrets are
 * still censored whatever their length; a short secret is warned about at start-up instead.
 */
export const MIN_MASKED_SECRET_LENGTH = 6;

/** `text` with every occurrence of each secret of at least MIN_MASKED_SECRET_LENGTH characters replaced by `[redacted]`. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= MIN_MASKED_SECRET_LENGTH && out.includes(secret))
      out = out.replaceAll(secret, REDACTED);
  }
  return out;
}

/** The names of the secrets too short to be masked in text (and too short to be good secrets). */
export function weakSecretNames(named: Readonly<Record<string, string>>): string[] {
  return Object.entries(named)
    .filter(([, value]) => value.length > 0 && value.length < MIN_MASKED_SECRET_LENGTH)
    .map(([name]) => name);
}
