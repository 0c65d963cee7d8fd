// Preloaded into a kraul child process (`node --import`): records the URL of every module the
// process resolves and writes the list, one a line, to $KRAUL_TEST_MODULE_LIST when it exits.
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const loaded = new Set<string>();
registerHooks({
  resolve(specifier, context, nextResolve) {
    const result = nextResolve(specifier, context);
    loaded.add(result.url);
    return result;
  },
});
process.on('exit', () => {
  const file = process.env['KRAUL_TEST_MODULE_LIST'];
  if (file) writeFileSync(file, [...loaded].join('\n'));
});
