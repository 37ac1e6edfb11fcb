/**
 * Emitting a catalogue metric through a Temporal metric meter (docs/observability.md): the workflow's meter (which
 * emits nothing while a history replays), an activity's, or the runtime's (the ingest, the worker's own pollers).
 * Every emission names a catalogue key and fills all of its labels, so what goes out is what the catalogue declares.
 */
import type { MetricCounter, MetricGauge, MetricHistogram, MetricMeter } from '@temporalio/common';
import { METRICS } from './catalogue';
import type { LabelsOf, MetricKey } from './catalogue';

type Instrument = MetricCounter | MetricHistogram | MetricGauge;

/** Emits catalogue metrics through one meter, making each instrument once. */
export class CatalogueMeter {
  private readonly instruments = new Map<MetricKey, Instrument>();

  constructor(private readonly meter: MetricMeter) {}

  /** Adds `value` to a counter, records it in a histogram or sets a gauge, as the catalogue says `key` is. */
  emit<K extends MetricKey>(key: K, labels: LabelsOf<K>, value = 1): void {
    const definition = METRICS[key];
    const tags = labels as Readonly<Record<string, string>>;
    const instrument = this.instrument(key);
    if (definition.kind === 'counter') (instrument as MetricCounter).add(value, tags);
    else if (definition.kind === 'histogram') (instrument as MetricHistogram).record(value, tags);
    else (instrument as MetricGauge).set(value, tags);
  }

  private instrument(key: MetricKey): Instrument {
    const known = this.instruments.get(key);
    if (known) return known;
    const { name, kind, unit, description } = METRICS[key];
    const made =
      kind === 'counter'
        ? this.meter.createCounter(name, unit, description)
        : kind === 'histogram'
          ? this.meter.createHistogram(name, 'float', unit, description)
          : this.meter.createGauge(name, 'float', unit, description);
    this.instruments.set(key, made);
    return made;
  }
}
