/** What a person sees on a terminal: engine lines never share a line with the spinner. */
import { Writable } from 'node:stream';
import { Reporter } from '../../cli/reporter.js';
import { withoutProgress } from '../support/progress.js';

function terminal(): Writable & { isTTY: boolean; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as Writable & { isTTY: boolean; text: () => string };
  stream.isTTY = true;
  stream.text = () => chunks.join('');
  return stream;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('on a terminal, the spinner line is cleared before each engine line', async () => {
  const stderr = terminal();
  const report = new Reporter({ json: false, quiet: false, stdout: terminal(), stderr });
  await report.step('terraform apply', async () => {
    await pause(1300);
    report.engineLine('Terraform used the selected providers');
    await pause(300);
  });
  const text = stderr.text();
  const engine = text.indexOf('  | Terraform used');
  expect(text.slice(0, engine)).toMatch(/⠋|⠙|⠹|⠸|⠼|⠴|⠦|⠧|⠇|⠏/);
  // What precedes the engine line on its own terminal line: nothing, once the cursor went back and the line was erased.
  expect(text.slice(0, engine).split('\n').at(-1)!.split('\r').at(-1)).toBe('\x1b[2K');
  expect(text).toMatch(/done: terraform apply \(\d+\.\ds\)\n$/);
});

it('off a terminal, engine lines are written as they are, with no control characters', async () => {
  const stderr = terminal();
  stderr.isTTY = false;
  const report = new Reporter({ json: false, quiet: false, stdout: terminal(), stderr });
  await report.step('terraform apply', async () => {
    await pause(1100);
    report.engineLine('Terraform used the selected providers');
  });
  expect(stderr.text()).toMatch(/^\.\.\. terraform apply\n {2}\| Terraform used the selected providers\ndone: terraform apply \(\d+\.\ds\)\n$/);
});

it("withoutProgress (the tests' reader of stderr) removes exactly the progress lines a slow step adds, and nothing else", async () => {
  const stderr = terminal();
  stderr.isTTY = false;
  const report = new Reporter({ json: false, quiet: false, stdout: terminal(), stderr });
  await report.step('synthesizing the stack', () => pause(1100));
  await report.step('checking Vault', () => pause(1100).then(() => Promise.reject(new Error('refused')))).catch(() => undefined);
  report.warn('a warning stays');
  report.note('a note stays');
  expect(stderr.text()).toMatch(/^\.\.\. synthesizing the stack\ndone: synthesizing the stack \(\d+\.\ds\)\n\.\.\. checking Vault\nfailed: checking Vault/);
  expect(withoutProgress(stderr.text())).toBe('warning: a warning stays\na note stays\n');
});
