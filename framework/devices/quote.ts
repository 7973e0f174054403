/**
 * POSIX single-quote quoting for everything that reaches a phone's shell (mksh/toybox on Android,
 * sh on a virtual phone). Inside single quotes nothing is special, so the only character to
 * handle is the single quote itself: close the quote, add an escaped quote, reopen
 * ('it'\''s'). NUL cannot be carried by a shell argument at all, so it is refused.
 */
export function shQuote(value: string | number): string {
  const text = String(value);
  if (text.includes('\0')) throw new Error(`cannot pass a NUL byte to a shell: ${JSON.stringify(text)}`);
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(text)) return text;
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** An argument vector as one shell command line, every word quoted. */
export function shCommand(argv: ReadonlyArray<string | number>): string {
  if (argv.length === 0) throw new Error('empty command');
  return argv.map(shQuote).join(' ');
}
