/**
 * Everything the CLI says. Results go to stdout; progress and notes to stderr, so `--json`
 * output and shell pipes stay clean. Steps that take over a second get a spinner on a terminal
 * and plain lines elsewhere (CI logs).
 */
export interface ReporterOptions {
  json: boolean;
  quiet: boolean;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Where NO_COLOR and TERM are read (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

/** The colours result lines use on a terminal: findings by kind, and the summary line. */
const COLOURS = { red: 31, green: 32, yellow: 33, cyan: 36, dim: 2, bold: 1 } as const;
export type Colour = keyof typeof COLOURS;

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export class Reporter {
  readonly json: boolean;
  readonly quiet: boolean;
  private readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  /** Result lines may carry colour: stdout is a terminal, NO_COLOR is unset or empty (no-color.org), TERM is not dumb. */
  readonly colour: boolean;
  /** The engine's lines (on stderr) may carry the engine's own colour: the same rules, for stderr. */
  readonly engineColour: boolean;
  private readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** A spinner is on the terminal's current line: a line written now erases it first (the next frame redraws it). */
  private spinning = false;

  constructor(options: ReporterOptions) {
    this.json = options.json;
    this.quiet = options.quiet;
    this.stdout = options.stdout ?? process.stdout;
    this.stderr = options.stderr ?? process.stderr;
    const env = options.env ?? process.env;
    this.colour = !this.json && Boolean(this.stdout.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb';
    this.engineColour = !this.json && Boolean(this.stderr.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb';
  }

  /** `text` in `colour` on a terminal that takes it; elsewhere the text exactly as it is. */
  paint(text: string, colour: Colour): string {
    return this.colour ? `\x1b[${COLOURS[colour]}m${text}\x1b[0m` : text;
  }

  private get chatty(): boolean {
    return !this.quiet && !this.json;
  }

  /** A line of the command's result, for people (suppressed in --json mode). */
  line(text = ''): void {
    if (!this.json) this.stdout.write(`${text}\n`);
  }

  /** The machine-readable result of --json mode. */
  data(value: unknown): void {
    resultsWritten++;
    this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** A remark on stderr (suppressed by --quiet and --json). */
  note(text: string): void {
    if (this.chatty) this.stderr.write(`${this.eraseSpinner()}${text}\n`);
  }

  /** A warning on stderr: shown even with --quiet, since it asks for attention. */
  warn(text: string): void {
    this.stderr.write(`${this.eraseSpinner()}warning: ${text}\n`);
  }

  /** Runs `action`; if it takes over a second, says so while it runs and how long it took. */
  async step<T>(text: string, action: () => Promise<T>): Promise<T> {
    if (!this.chatty) return action();
    const started = Date.now();
    const tty = Boolean(this.stderr.isTTY);
    let frame = 0;
    let shown = false;
    let spinner: NodeJS.Timeout | undefined;
    const show = setTimeout(() => {
      shown = true;
      if (tty) {
        spinner = setInterval(() => {
          this.spinning = true;
          this.stderr.write(`\r${FRAMES[frame++ % FRAMES.length]} ${text} (${seconds(started)})`);
        }, 100);
      } else {
        this.stderr.write(`... ${text}\n`);
      }
    }, 1000);
    try {
      const result = await action();
      if (shown) this.finish(tty, `done: ${text} (${seconds(started)})`);
      return result;
    } catch (error) {
      if (shown) this.finish(tty, `failed: ${text} (${seconds(started)})`);
      throw error;
    } finally {
      clearTimeout(show);
      if (spinner) clearInterval(spinner);
      this.spinning = false;
    }
  }

  private eraseSpinner(): string {
    if (!this.spinning) return '';
    this.spinning = false;
    return '\r\x1b[2K';
  }

  private finish(tty: boolean, text: string): void {
    this.stderr.write(tty ? `\r\x1b[2K${text}\n` : `${text}\n`);
  }

  /** Engine output lines, shown to people as they come. */
  engineLine(line: string): void {
    // A coloured line ends with its colour reset: the next line starts plain whatever the engine left open.
    if (this.chatty) this.stderr.write(`${this.eraseSpinner()}  | ${line}${this.engineColour && line.includes('\x1b') ? '\x1b[0m' : ''}\n`);
  }
}

function seconds(started: number): string {
  return `${((Date.now() - started) / 1000).toFixed(1)}s`;
}

let resultsWritten = 0;

/** Whether this run has written a JSON result on stdout: a failure after one adds no second object. */
export function wroteJsonResult(): boolean {
  return resultsWritten > 0;
}
