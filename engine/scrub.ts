/**
 * Every line the engine prints passes through here before it reaches stdout, stderr or an error
 * message. The engine masks sensitive values in plans, but not everywhere: a failed state write
 * (full disk, read-only file system) makes it print the whole state, wrapping tokens and secret
 * IDs included, and a provider's error may quote a request. So values are removed by shape and by
 * the name of the field that holds them, whatever the engine decides to print.
 */

/** Fields whose string value is a secret, in the state's JSON and in HCL-like renderings. */
const SECRET_FIELDS = ['secret_id', 'wrapping_token', 'client_token', 'token', 'password', 'passphrase', 'unseal_key', 'key'];

const JSON_FIELD = new RegExp(`("(?:${SECRET_FIELDS.join('|')})"\\s*:\\s*")((?:[^"\\\\]|\\\\.)*)(")`, 'g');
const HCL_FIELD = new RegExp(`(\\b(?:${SECRET_FIELDS.join('|')})\\s*=\\s*")((?:[^"\\\\]|\\\\.)*)(")`, 'g');
/** Vault's service, batch and recovery tokens (`hvs.`…), and OpenBao's and older Vault's (`s.`…). */
const TOKEN_SHAPE = /\b(?:hv[sbr]|[sbr])\.[A-Za-z0-9_-]{20,}/g;

export const REDACTED = '<redacted>';

/**
 * On a terminal the engine colours its lines, and an escape sequence may sit inside a field name or
 * a token: the line is judged as a reader sees it, and a line holding a secret loses its colour.
 */
export function scrubEngineLine(line: string): string {
  if (!line.includes('\x1b')) return scrubPlain(line);
  const plain = stripAnsi(line);
  const scrubbed = scrubPlain(plain);
  return scrubbed === plain ? line : scrubbed;
}

function scrubPlain(line: string): string {
  return line
    .replace(JSON_FIELD, (_match, open: string, value: string, close: string) =>
      value === '' || value === REDACTED ? `${open}${value}${close}` : `${open}${REDACTED}${close}`,
    )
    .replace(HCL_FIELD, (_match, open: string, value: string, close: string) =>
      value === '' || value === REDACTED ? `${open}${value}${close}` : `${open}${REDACTED}${close}`,
    )
    .replace(TOKEN_SHAPE, REDACTED);
}

/** Splits a stream into whole lines, so that a secret cut in two by a chunk boundary is still seen whole. */
export class LineSplitter {
  private pending = '';

  push(chunk: string): string[] {
    const text = this.pending + chunk;
    const lines = text.split('\n');
    this.pending = lines.pop() ?? '';
    return lines;
  }

  flush(): string[] {
    const rest = this.pending;
    this.pending = '';
    return rest === '' ? [] : [rest];
  }
}

/** Terminal escape sequences (CSI, such as colours, and OSC): what the engine adds on a terminal. */
// eslint-disable-next-line no-control-regex -- escape sequences are what this matches
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;

/** The text a reader sees: for the parsers of the engine's output, which must not care about colour. */
export function stripAnsi(text: string): string {
  return text.includes('\x1b') ? text.replace(ANSI, '') : text;
}
