/**
 * Calls `stop` on the first Ctrl-C (SIGINT) or SIGTERM so a command can close its consumer
 * and leave its group cleanly; a second signal exits at once. Returns the uninstaller.
 */
export function onInterrupt(stop: (signal: NodeJS.Signals) => void): () => void {
  let signals = 0;
  const handler = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) stop(signal);
    else process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
