// Preloaded (node --require) into a CLI run: counts Intl.Segmenter instances, which text-width
// modules create to measure help text, and reports the count on stderr when the process exits.
const Original = Intl.Segmenter;
let created = 0;
Intl.Segmenter = class extends Original {
  constructor(...args) {
    super(...args);
    created += 1;
  }
};
process.on('exit', () => process.stderr.write(`\nsegmenters created: ${created}\n`));
