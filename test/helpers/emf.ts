/**
 * Checking log lines against CloudWatch's Embedded Metric Format specification: a JSON object whose `_aws` member has
 * a millisecond `Timestamp` and `CloudWatchMetrics` directives (namespace, dimension sets of at most 30 names, metric
 * definitions with a name and an optional unit), each dimension a string member and each metric a number member of
 * the root object. What CloudWatch would reject, this rejects.
 */
import Ajv from 'ajv';

const UNITS = [
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Count',
  'Percent',
  'None',
  'Count/Second',
];

const schema = {
  type: 'object',
  required: ['_aws'],
  properties: {
    _aws: {
      type: 'object',
      required: ['Timestamp', 'CloudWatchMetrics'],
      properties: {
        Timestamp: { type: 'integer', minimum: 0 },
        CloudWatchMetrics: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            required: ['Namespace', 'Dimensions', 'Metrics'],
            properties: {
              Namespace: { type: 'string', minLength: 1, maxLength: 1024 },
              Dimensions: {
                type: 'array',
                items: {
                  type: 'array',
                  maxItems: 30,
                  items: { type: 'string', minLength: 1, maxLength: 250 },
                },
              },
              Metrics: {
                type: 'array',
                minItems: 1,
                maxItems: 100,
                items: {
                  type: 'object',
                  required: ['Name'],
                  properties: {
                    Name: { type: 'string', minLength: 1, maxLength: 1024 },
                    Unit: { enum: UNITS },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;

const validate = new Ajv({ allErrors: true }).compile(schema);

/** An EMF line, parsed. */
export interface EmfObject {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit?: string }[];
    }[];
  };
  readonly [member: string]: unknown;
}

/** Parses one line as EMF; throws saying what breaks the specification. */
export function parseEmfLine(line: string): EmfObject {
  const value: unknown = JSON.parse(line);
  if (!validate(value)) throw new Error(`not EMF: ${JSON.stringify(validate.errors)} in ${line}`);
  const emf = value as EmfObject;
  for (const directive of emf._aws.CloudWatchMetrics) {
    for (const dimension of directive.Dimensions.flat()) {
      if (typeof emf[dimension] !== 'string')
        throw new Error(`dimension ${dimension} has no string value: ${line}`);
    }
    for (const { Name } of directive.Metrics) {
      const v = emf[Name];
      const ok = typeof v === 'number' || (Array.isArray(v) && v.every((x) => typeof x === 'number'));
      if (!ok) throw new Error(`metric ${Name} has no number value: ${line}`);
    }
  }
  return emf;
}

/** The EMF lines among `output`'s lines (those that are JSON objects with `_aws`), parsed and checked. */
export function emfLinesOf(output: string): EmfObject[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{"_aws"'))
    .map(parseEmfLine);
}
