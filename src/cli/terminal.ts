// What the CLI prints for people. Audit records, policy inputs and metrics
// carry text from clients (a username at login, a resource URI, a tool
// name), and a terminal runs the control sequences in them: colours, cursor
// moves, rewritten lines, window titles, and bidi overrides that show text
// in another order than it is. Every human-readable output goes through
// here; data keeps its exact value only in JSON and CSV.

/** C0 controls, DEL, C1 controls, and the bidi embeddings/overrides/isolates. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
/** The same without tab and line feed: for whole outputs whose lines are ours. */
const UNSAFE_KEEP_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
/** What JSON.stringify leaves raw but a terminal still obeys (plus U+2028/U+2029, line breaks to some readers). */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function visible(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One value in a line of text: every control character shown as \xNN or \uNNNN, newlines and tabs too. */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, visible);
}

/** A whole text output: as escapeControls, but its own line breaks (LF, CRLF) and tabs stay. */
export function escapeText(text: string): string {
  return text.replace(UNSAFE_KEEP_LINES, (c, at: number) => (c === '\r' && text[at + 1] === '\n' ? c : visible(c)));
}

/**
 * JSON a terminal shows as it is: the same document (the escapes are JSON's
 * own \uNNNN, so a parser reads back the exact data), with no character left
 * that a terminal would act on.
 */
export function terminalJson(value: unknown, space?: number): string {
  return (JSON.stringify(value, null, space) ?? 'null').replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** stdout for people. */
export function printOut(text: string): void {
  process.stdout.write(escapeText(text));
}

/** stderr for people (errors, warnings). */
export function printErr(text: string): void {
  process.stderr.write(escapeText(text));
}
