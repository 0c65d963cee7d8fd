/**
 * The multi-host test site as a standalone server, for a site in a container reached under
 * several network aliases (`h0.kraul.test`, `h1.kraul.test`, ...): one port serves every
 * host, told apart by the Host header. A second port answers `GET /log` with the site's
 * request log and the pages a correct crawl fetches, so a test outside the container can
 * judge the crawl.
 *
 *   node packages/testkit/bin/serve-site.ts --hosts 8 --pages 60 --port 8080 --control-port 8081
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { startTestSite } from '../src/index.ts';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '4' },
    pages: { type: 'string', default: '20' },
    'page-delay': { type: 'string', default: '0' },
    address: { type: 'string', default: '0.0.0.0' },
    port: { type: 'string', default: '8080' },
    'control-port': { type: 'string', default: '8081' },
  },
});

const site = await startTestSite({
  hosts: Number(values.hosts),
  pagesPerHost: Number(values.pages),
  pageDelayMs: Number(values['page-delay']),
  virtualHosts: { address: values.address, port: Number(values.port) },
});

const control = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/log') {
    const body = JSON.stringify({
      hosts: site.hosts.map((host) => host.name),
      expected: [...site.expectedPages()],
      requests: site.requests(),
    });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(body);
    return;
  }
  res.writeHead(404).end();
});
await new Promise<void>((resolve) => control.listen(Number(values['control-port']), values.address, resolve));
console.log(
  JSON.stringify({
    msg: 'test site listening',
    hosts: site.hosts.map((host) => host.origin),
    control: `http://${values.address}:${values['control-port']}/log`,
  }),
);

const stop = async () => {
  control.close();
  await site.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
