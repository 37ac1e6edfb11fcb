/** Prints the metrics table of docs/observability.md; `--write` puts it between the doc's metrics-table markers. */
import { join } from 'node:path';
import { metricsTable } from '../src/metrics/metrics-table';
import { writeBetweenMarkers } from './write-between-markers';

if (process.argv.includes('--write')) {
  writeBetweenMarkers(join(__dirname, '../docs/observability.md'), 'metrics-table', metricsTable());
} else {
  process.stdout.write(`${metricsTable()}\n`);
}
