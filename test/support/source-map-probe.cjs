// Preloaded (node --require) into a CLI run: at exit, reports on stderr whether Node decoded the
// inline source map of a cdktf file as it loaded, and whether cdktf was loaded at all.
const { findSourceMap } = require('node:module');
process.on('exit', () => {
  const cdktf = require.resolve('cdktf/lib/app.js', { paths: [process.cwd()] });
  process.stderr.write(`\nsource maps: cdktf=${Boolean(findSourceMap(cdktf))} loaded-cdktf=${Boolean(require.cache[cdktf])}\n`);
});
