/**
 * Output without the reporter's progress lines (`... step` when a step passes a second, then
 * `done: step (1.2s)` or `failed: step (1.2s)`): a loaded machine adds them around any step, so
 * a test of "this message and nothing else" reads what is left.
 */
export function withoutProgress(text: string): string {
  return text
    .split('\n')
    .filter((line) => !/^(\.\.\. .+|(done|failed): .+ \(\d+\.\ds\))$/.test(line))
    .join('\n');
}
