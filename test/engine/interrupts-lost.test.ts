/**
 * A run stopped because its site lock was lost (engine/interrupts.ts stopFor): no engine run starts
 * afterwards, except the recovery that pushes the stopped engine's state back, and the stop is
 * told apart from a signal (exit 1, the reason kept).
 */
import { interrupts } from '../../engine/interrupts.js';
import { describeInterruption } from '../../cli/commands/interrupted.js';

it('after a lost lock nothing new starts, the recovery may run, and the message says what was done and what comes next', async () => {
  expect(interrupts.stopError('terraform apply')).toBeUndefined();
  // No engine running: the caller ends the run itself.
  expect(interrupts.stopFor('the server closed the connection')).toBe(false);
  const stopped = interrupts.stopError('terraform apply');
  expect({ name: stopped?.name, exitCode: stopped?.exitCode, lockLost: stopped?.lockLost }).toEqual({
    name: 'EngineInterruptedError',
    exitCode: 1,
    lockLost: 'the server closed the connection',
  });
  expect(interrupts.stopping).toBe(true);
  expect(await interrupts.recover(async () => interrupts.stopError('terraform state push'))).toBeUndefined();
  expect(interrupts.stopError('terraform plan')).toBeDefined();
  const told = describeInterruption(stopped!, 'apply', '/work/terraform.tfstate', 'the engine saved its state');
  expect(told.exitCode).toBe(1);
  expect(told.message).toContain("apply stopped: it lost the site's lock, the server closed the connection");
  expect(told.message).toContain('the engine was interrupted as Ctrl-C does');
  expect(told.message).toContain('run `maas-vault apply` again: it waits for the lock and picks up where this one stopped');
});
