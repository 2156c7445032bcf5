/**
 * The engine's lines are scrubbed before anyone sees them: a failed state write prints the whole
 * state (terraform: "Failed to persist state … The state is printed below"), with wrapping tokens
 * and secret IDs; a provider's error may quote a token. Resource addresses and plans stay readable.
 */
import { LineSplitter, REDACTED, scrubEngineLine, stripAnsi } from '../../engine/scrub.js';

const WRAPPING_TOKEN = 'hvs.CAESIGCjdOmOob9-euLtSKQWHIITVgu29l0rBg8GkvX6Yf3bGh4KHGh2cy5XVE4yM25ORjg4WkhrYTRtSllRdlB3azM';
const OPENBAO_TOKEN = 's.Qx7dLk2VbN9pR4tW8yZ1aC3e';
const SECRET_ID = '6f1c2d9e-8b7a-4c3d-9e2f-1a0b9c8d7e6f';

it('removes the secret values of a state dump, line by line, and keeps its shape', () => {
  const dump = [
    '            "secret_id": "' + SECRET_ID + '",',
    '            "wrapping_token": "' + WRAPPING_TOKEN + '",',
    '            "wrapping_accessor": "5c1d6a0e-aaaa-bbbb-cccc-0123456789ab",',
    '            "role_name": "maas_lab_region-1",',
    '            "client_token": "' + OPENBAO_TOKEN + '"',
  ];
  const scrubbed = dump.map(scrubEngineLine).join('\n');
  for (const secret of [SECRET_ID, WRAPPING_TOKEN, OPENBAO_TOKEN]) expect(scrubbed).not.toContain(secret);
  expect(scrubbed).toContain(`"secret_id": "${REDACTED}"`);
  expect(scrubbed).toContain('"wrapping_accessor": "5c1d6a0e-aaaa-bbbb-cccc-0123456789ab"');
  expect(scrubbed).toContain('"role_name": "maas_lab_region-1"');
});

it('removes token-shaped words anywhere, and HCL-style assignments, but not resource addresses', () => {
  expect(scrubEngineLine(`Error: error unwrapping ${WRAPPING_TOKEN}: permission denied`)).toBe(`Error: error unwrapping ${REDACTED}: permission denied`);
  expect(scrubEngineLine(`  secret_id = "${SECRET_ID}"`)).toBe(`  secret_id = "${REDACTED}"`);
  const address =
    'vault_approle_auth_backend_role_secret_id.controller_region-1_secret_id: Creation complete after 0s [id=backend=approle::role=maas_lab_region-1::accessor=5c1d6a0e]';
  expect(scrubEngineLine(address)).toBe(address);
  expect(scrubEngineLine('Plan: 12 to add, 0 to change, 0 to destroy.')).toBe('Plan: 12 to add, 0 to change, 0 to destroy.');
});

it('sees a token whole when a chunk boundary cuts it in two', () => {
  const splitter = new LineSplitter();
  const text = `first line\n"wrapping_token": "${WRAPPING_TOKEN}",\nlast`;
  const cut = text.indexOf(WRAPPING_TOKEN) + 10;
  const lines = [...splitter.push(text.slice(0, cut)), ...splitter.push(text.slice(cut)), ...splitter.flush()];
  expect(lines).toEqual(['first line', `"wrapping_token": "${WRAPPING_TOKEN}",`, 'last']);
  expect(lines.map(scrubEngineLine).join('\n')).not.toContain(WRAPPING_TOKEN);
});

describe('coloured engine output (a terminal: the engine runs without -no-color)', () => {
  const bold = (text: string) => `\x1b[1m${text}\x1b[0m`;

  it('finds a secret whose field name or value carries colour, or that colour splits in two', () => {
    const lines = [
      `  ${bold('secret_id')} = "${SECRET_ID}"`,
      `            "${bold('wrapping_token')}": "${WRAPPING_TOKEN}",`,
      `\x1b[31m│\x1b[0m \x1b[0m\x1b[1m\x1b[31mError: \x1b[0m\x1b[0m\x1b[1merror unwrapping ${OPENBAO_TOKEN.slice(0, 10)}\x1b[0m${OPENBAO_TOKEN.slice(10)}`,
      `  \x1b[32m+\x1b[0m token = "${bold(OPENBAO_TOKEN)}"`,
    ];
    const scrubbed = lines.map(scrubEngineLine);
    for (const line of scrubbed) {
      for (const secret of [SECRET_ID, WRAPPING_TOKEN, OPENBAO_TOKEN, OPENBAO_TOKEN.slice(10), WRAPPING_TOKEN.slice(0, 24)]) expect(line).not.toContain(secret);
      expect(line).toContain(REDACTED);
    }
  });

  it('leaves a coloured line without secrets as it is, colour included', () => {
    const line = `  \x1b[32m+\x1b[0m\x1b[0m resource "vault_mount" "kv" {`;
    expect(scrubEngineLine(line)).toBe(line);
  });
});

it('stripAnsi leaves the text a reader sees', () => {
  expect(stripAnsi('\x1b[31m│\x1b[0m \x1b[0m\x1b[1m\x1b[31mError: \x1b[0m\x1b[0m\x1b[1mpermission denied\x1b[0m')).toBe('│ Error: permission denied');
  expect(stripAnsi('plain')).toBe('plain');
});
