// The synthetic site in a process of its own, so a crawl's CPU time is not mixed with the
// site's. Started with fork() by startSiteProcess; talks to its parent over the IPC channel only.
import { startTestSite } from '../site/index.ts';
import type { SiteAnswer, SiteCommand, SiteProcessOptions, SiteReady } from './site-protocol.ts';

const options = JSON.parse(process.argv[2] ?? '{}') as SiteProcessOptions;
const site = await startTestSite(options);
let cpuMark = process.cpuUsage();

function send(message: SiteReady | SiteAnswer): void {
  process.send!(message);
}

function answer(command: SiteCommand): SiteAnswer {
  switch (command.op) {
    case 'mark':
      site.clearLog();
      cpuMark = process.cpuUsage();
      return { id: command.id, ok: true };
    case 'log': {
      const cpu = process.cpuUsage(cpuMark);
      const unsuccessful = site
        .requests((request) => request.aborted || (request.status ?? 0) < 200 || (request.status ?? 0) > 299)
        .map((request) => ({ url: request.url, status: request.status, aborted: request.aborted }));
      const byAgent = new Map<string, number[]>();
      for (const request of site.requests(() => true)) {
        const agent = request.headers['user-agent'] ?? '';
        let perHost = byAgent.get(agent);
        if (!perHost) {
          perHost = new Array<number>(site.hosts.length).fill(0);
          byAgent.set(agent, perHost);
        }
        perHost[request.host] = (perHost[request.host] ?? 0) + 1;
      }
      return {
        id: command.id,
        ok: true,
        log: {
          countByUrl: [...site.countByUrl()],
          unsuccessful,
          cpuMicros: cpu.user + cpu.system,
          byAgent: [...byAgent],
        },
      };
    }
    case 'close':
      return { id: command.id, ok: true };
  }
}

process.on('message', (command: SiteCommand) => {
  try {
    send(answer(command));
  } catch (error) {
    send({ id: command.id, ok: false, error: (error as Error).message });
  }
  if (command.op === 'close') {
    site.close().then(() => process.disconnect());
  }
});
// The bench going away (crash, Ctrl-C) ends the site too.
process.on('disconnect', () => {
  site.close().then(() => process.exit(0));
});

send({
  type: 'ready',
  origins: site.hosts.map((host) => host.origin),
  addresses: site.hosts.map((host) => host.address),
  expected: [...site.expectedPages()],
});
