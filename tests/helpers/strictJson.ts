/**
 * JSON.parse keeps the last of two equal keys without a word; strict ingestion (and RFC 8259's
 * "names SHOULD be unique") rejects the line. This parser accepts exactly JSON and throws on a
 * duplicate key, naming it and where it is.
 */
export function parseStrictJson(text: string): unknown {
  let i = 0;
  const fail = (why: string): never => {
    throw new SyntaxError(`${why} at offset ${i}`);
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i] ?? '')) i++;
  };
  const str = (): string => {
    // JSON forbids raw control characters inside strings; JSON.parse below rejects them.
    const m = /^"(?:[^"\\]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/.exec(text.slice(i));
    if (!m) return fail('bad string');
    i += m[0].length;
    return JSON.parse(m[0]) as string;
  };
  const value = (path: string): unknown => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const out: Record<string, unknown> = {};
      const seen = new Set<string>();
      ws();
      if (text[i] === '}') {
        i++;
        return out;
      }
      for (;;) {
        ws();
        const key = str();
        if (seen.has(key)) fail(`duplicate key ${JSON.stringify(key)} in ${path || 'the top object'}`);
        seen.add(key);
        ws();
        if (text[i++] !== ':') fail('expected :');
        out[key] = value(`${path}.${key}`);
        ws();
        const next = text[i++];
        if (next === '}') return out;
        if (next !== ',') fail('expected , or }');
      }
    }
    if (c === '[') {
      i++;
      const out: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return out;
      }
      for (;;) {
        out.push(value(`${path}[${out.length}]`));
        ws();
        const next = text[i++];
        if (next === ']') return out;
        if (next !== ',') fail('expected , or ]');
      }
    }
    if (c === '"') return str();
    const m = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i));
    if (!m) return fail('unexpected token');
    i += m[0].length;
    return JSON.parse(m[0]);
  };
  const out = value('');
  ws();
  if (i !== text.length) fail('trailing text');
  return out;
}
