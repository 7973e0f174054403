/**
 * Small typed readers for hand-written JSON validation. Each reader records a problem with the
 * field's path (`devices[2].kernel: expected ...`) and returns undefined instead of throwing, so
 * that one pass reports every problem in a file.
 */
export type Path = Array<string | number>;

export function formatPath(path: Path): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out || '(top level)';
}

export class Problems {
  private readonly items: string[] = [];

  add(path: Path, message: string): void {
    const text = `${formatPath(path)}: ${message}`;
    if (!this.items.includes(text)) this.items.push(text);
  }

  get count(): number {
    return this.items.length;
  }

  get list(): string[] {
    return [...this.items];
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** An object with only the given keys (unknown keys are reported: they are usually typos). */
export function readObject(value: unknown, path: Path, problems: Problems, keys: readonly string[]): Record<string, unknown> | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problems.add(path, `expected an object, got ${describe(value)}`);
    return null;
  }
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!keys.includes(key) && key !== '$comment') problems.add([...path, key], `unknown field (expected one of ${keys.map((k) => `"${k}"`).join(', ')})`);
  }
  return obj;
}

interface FieldOptions<T> {
  required?: boolean;
  fallback?: T;
}

function absent<T>(obj: Record<string, unknown>, key: string, path: Path, problems: Problems, opts: FieldOptions<T>): { done: true; value: T | undefined } | { done: false } {
  if (obj[key] !== undefined) return { done: false };
  if (opts.required) problems.add([...path, key], 'missing (required)');
  return { done: true, value: opts.fallback };
}

export function readString(
  obj: Record<string, unknown>,
  key: string,
  path: Path,
  problems: Problems,
  opts: FieldOptions<string> & { pattern?: RegExp; patternText?: string } = {},
): string | undefined {
  const a = absent(obj, key, path, problems, opts);
  if (a.done) return a.value;
  const value = obj[key];
  if (typeof value !== 'string' || value === '') {
    problems.add([...path, key], `expected ${opts.patternText ?? 'a non-empty string'}, got ${describe(value)}`);
    return undefined;
  }
  if (opts.pattern && !opts.pattern.test(value)) {
    problems.add([...path, key], `expected ${opts.patternText ?? `a string matching ${opts.pattern}`}, got ${describe(value)}`);
    return undefined;
  }
  return value;
}

export function readBoolean(obj: Record<string, unknown>, key: string, path: Path, problems: Problems, opts: FieldOptions<boolean> = {}): boolean | undefined {
  const a = absent(obj, key, path, problems, opts);
  if (a.done) return a.value;
  const value = obj[key];
  if (typeof value !== 'boolean') {
    problems.add([...path, key], `expected true or false, got ${describe(value)}`);
    return undefined;
  }
  return value;
}

export function readEnum<T extends string>(
  obj: Record<string, unknown>,
  key: string,
  allowed: readonly T[],
  path: Path,
  problems: Problems,
  opts: FieldOptions<T> = {},
): T | undefined {
  const a = absent(obj, key, path, problems, opts);
  if (a.done) return a.value;
  const value = obj[key];
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    problems.add([...path, key], `expected one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}, got ${describe(value)}`);
    return undefined;
  }
  return value as T;
}

export function readPositiveInt(
  obj: Record<string, unknown>,
  key: string,
  path: Path,
  problems: Problems,
  opts: FieldOptions<number> & { max?: number; allowZero?: boolean } = {},
): number | undefined {
  const a = absent(obj, key, path, problems, opts);
  if (a.done) return a.value;
  const value = obj[key];
  const min = opts.allowZero ? 0 : 1;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || (opts.max !== undefined && value > opts.max)) {
    problems.add([...path, key], `expected an integer from ${min} to ${opts.max ?? 'any'}, got ${describe(value)}`);
    return undefined;
  }
  return value;
}

/** "host:port" or "[v6]:port" (the port's range is not checked here). */
export const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** "host:port" or "[v6]:port", port 1-65535. */
export function checkHostPort(value: string, path: Path, problems: Problems): void {
  const m = HOST_PORT.exec(value);
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65535) {
    problems.add(path, `expected host:port (e.g. "127.0.0.1:5037"), got ${describe(value)}`);
  }
}

export function splitHostPort(value: string): { host: string; port: number } {
  const i = value.lastIndexOf(':');
  const host = value.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(value.slice(i + 1)) };
}

/** "invalid JSON at line 3, column 7 (byte 41): Unexpected token ..." */
export function jsonErrorText(text: string, err: Error): string {
  const pos = /position (\d+)/.exec(err.message);
  if (!pos) return `invalid JSON: ${err.message}`;
  const offset = Number(pos[1]);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  const bytes = Buffer.byteLength(before, 'utf8');
  return `invalid JSON at line ${line}, column ${column} (byte ${bytes}): ${err.message.replace(/ in JSON at position \d+.*$/, '')}`;
}
