// Preloaded (node --require) into a CLI run: at exit, reports on stderr how many files of cdktf
// the module loader read from node_modules, and whether Node's source maps were on.
process.on('exit', () => {
  const cdktfFiles = Object.keys(require.cache).filter((path) => /node_modules[\\/]cdktf[\\/]/.test(path)).length;
  process.stderr.write(`\nsynth probe: cdktf-files-from-node_modules=${cdktfFiles} source-maps=${process.sourceMapsEnabled}\n`);
});
