#!/usr/bin/env node
import { runCli } from '../src/main.ts';
import { flushed } from '../src/output.ts';

// `kraul tail … | head` closes the pipe early: that ends the command, it is no failure.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const code = await runCli(process.argv);
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
// Exit now rather than when the last socket or timer of a client lets go.
process.exit(code);
