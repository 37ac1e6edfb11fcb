/**
 * The metrics section's helpers (bench/sections/metrics.ts): summing a counter in a Prometheus exposition, counting
 * the EMF lines the product's own writer produces on a stream cut at arbitrary places, and scraping a real HTTP server.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { countEmfLines } from '../../bench/lib/emf-lines';
import { scrapeOnce, startScraper, sumSamples } from '../../bench/lib/scraper';
import { emfWriter } from '../../src/metrics/emf';

it('sums every labelled sample of a counter, and nothing of a metric whose name only starts the same', () => {
  // Prepare
  const exposition = [
    '# HELP remediator_remediations_total Findings handled to an outcome.',
    '# TYPE remediator_remediations_total counter',
    'remediator_remediations_total{playbook="s3-block-public-access",outcome="remediated",source="aws.config",account="1"} 198',
    'remediator_remediations_total{playbook="a b",outcome="no_action",source="x",account="1"} 2 1700000000000',
    'remediator_remediations_total_extra 1000',
    'remediator_remediations 5000',
    '',
  ].join('\n');

  // Act / Assess
  expect(sumSamples(exposition, 'remediator_remediations_total')).toBe(200);
  expect(sumSamples(exposition, 'remediator_absent_total')).toBe(0);
});

it('counts the EMF lines and their remediations however stdout is cut, and skips other lines', () => {
  // Prepare: the product's writer, its output cut every 7 characters, log lines in between.
  const stdout = new PassThrough();
  const counter = countEmfLines(stdout);
  let text = '';
  const emf = emfWriter(true, (line) => {
    text += line;
  });
  const labels = {
    playbook: 's3-block-public-access',
    outcome: 'remediated',
    source: 'aws.config',
    account: '1',
  };
  emf.write([{ key: 'remediations', labels, value: 1 }]);
  text += 'Worker state changed {"_aws" is not at the start here}\n';
  emf.write([{ key: 'approvalsWaiting', labels: {}, value: 3 }]);
  emf.write([{ key: 'remediations', labels, value: 2 }]);

  // Act
  for (let i = 0; i < text.length; i += 7) stdout.write(Buffer.from(text.slice(i, i + 7)));

  // Assess
  expect(counter.counts()).toEqual({ lines: 3, remediations: 3 });
});

it('scrapes a real server at its interval and keeps the size of the last body', async () => {
  // Prepare
  let served = 0;
  const server = createServer((_req, res) => {
    served += 1;
    res.end(`remediator_remediations_total ${served}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;

  try {
    // Act
    const scraper = startScraper(url, 50);
    await new Promise((r) => setTimeout(r, 300));
    const stats = await scraper.stop();
    const last = await scrapeOnce(url);

    // Assess
    expect(stats.failures).toBe(0);
    expect(stats.scrapes).toBeGreaterThanOrEqual(3);
    expect(stats.scrapes).toBe(served - 1);
    expect(stats.lastBodyBytes).toBe(Buffer.byteLength(`remediator_remediations_total ${served - 1}\n`));
    expect(sumSamples(last, 'remediator_remediations_total')).toBe(served);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

it('counts a scrape that is refused as a failure', async () => {
  // Prepare: a port nothing listens on (a server bound, then closed).
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));

  // Act
  const scraper = startScraper(`http://127.0.0.1:${port}/metrics`, 50);
  await new Promise((r) => setTimeout(r, 120));
  const stats = await scraper.stop();

  // Assess
  expect(stats.scrapes).toBe(0);
  expect(stats.failures).toBeGreaterThanOrEqual(1);
  expect(stats.lastBodyBytes).toBe(0);
});
