#!/usr/bin/env node
import { enableCompileCache } from 'node:module';

// V8's code cache on disk (in the system's temporary folder; NODE_DISABLE_COMPILE_CACHE=1
// turns it off): a role loads some 900 modules, and compiling them again on every start
// costs more CPU than anything else it does before it is ready. Only modules loaded after
// this call are cached, hence the dynamic imports.
enableCompileCache();
const { runCli } = await import('../src/main.ts');
const { flushed } = await import('../src/output.ts');

// `kraul tail … | head` closes the pipe early: that ends the command, it is no failure.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const code = await runCli(process.argv);
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
// Exit now rather than when the last socket or timer of a client lets go.
process.exit(code);
