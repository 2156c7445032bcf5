/**
 * Where a JSON text stops being JSON, as line and column. Node's own messages quote the text
 * instead (`Unexpected token 'h', "hvs.CAESI..." is not valid JSON`), and a config file may hold
 * a pasted token, so the config error is built from this position alone.
 */
export interface TextPosition {
  line: number;
  column: number;
}

/** The position of the first syntax error, or undefined when the text is valid JSON. */
export function jsonErrorPosition(text: string): TextPosition | undefined {
  const offset = firstErrorOffset(text);
  return offset === undefined ? undefined : positionOf(text, offset);
}

export interface DuplicateKey {
  key: string;
  /** The object holding the key twice: `['controllers', 0]`; empty at the top level. */
  path: Array<string | number>;
  first: TextPosition;
  second: TextPosition;
}

/**
 * The first key that appears twice in one object of a valid JSON text. Keys are compared as
 * JSON.parse decodes them (`"a"` and `"\u0061"` are one key), which keeps the last.
 */
export function jsonDuplicateKey(text: string): DuplicateKey | undefined {
  const seen = new Map<string, Map<string, number>>();
  let found: DuplicateKey | undefined;
  firstErrorOffset(text, (path, raw, offset) => {
    if (found) return;
    const key = JSON.parse(raw) as string;
    const object = JSON.stringify(path);
    const keys = seen.get(object) ?? new Map<string, number>();
    seen.set(object, keys);
    const first = keys.get(key);
    if (first === undefined) keys.set(key, offset);
    else found = { key, path: [...path], first: positionOf(text, first), second: positionOf(text, offset) };
  });
  return found;
}

export function positionOf(text: string, offset: number): TextPosition {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

class Stop {
  constructor(readonly offset: number) {}
}

/** `onKey` hears every object key: the path of its object, the key's literal (quotes included), its offset. */
function firstErrorOffset(text: string, onKey?: (path: ReadonlyArray<string | number>, literal: string, offset: number) => void): number | undefined {
  let i = 0;
  // Where the scanner is, for onKey: object keys and array indexes down to the current value.
  const path: Array<string | number> = [];
  const fail = (): never => {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- control flow out of the scanner, caught below: no Error, no stack trace
    throw new Stop(i);
  };
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const literal = (word: string) => {
    for (const char of word) {
      if (text[i] !== char) fail();
      i++;
    }
  };
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) fail();
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) fail();
      }
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!match || match[0] === '-') fail();
    i += match![0].length;
  };
  const value = (depth: number): void => {
    if (depth > 512) fail();
    space();
    const char = text[i];
    if (char === '{') {
      i++;
      space();
      if (text[i] === '}') return void i++;
      for (;;) {
        space();
        if (text[i] !== '"') fail();
        const start = i;
        string();
        const literal = onKey ? text.slice(start, i) : '';
        onKey?.(path, literal, start);
        space();
        if (text[i] !== ':') fail();
        i++;
        if (onKey) path.push(JSON.parse(literal) as string);
        value(depth + 1);
        if (onKey) path.pop();
        space();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return void i++;
        else fail();
      }
    } else if (char === '[') {
      i++;
      space();
      if (text[i] === ']') return void i++;
      for (let index = 0; ; index++) {
        path.push(index);
        value(depth + 1);
        path.pop();
        space();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return void i++;
        else fail();
      }
    } else if (char === '"') string();
    else if (char === 't') literal('true');
    else if (char === 'f') literal('false');
    else if (char === 'n') literal('null');
    else number();
  };
  try {
    value(0);
    space();
    if (i < text.length) fail();
    return undefined;
  } catch (error) {
    if (error instanceof Stop) return Math.min(error.offset, text.length);
    throw error;
  }
}
