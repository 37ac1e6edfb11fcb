/**
 * moto as the benchmark runs it, with two emulator costs that real AWS does not have taken out (same results):
 * - EventBridge delivers every matched event through `EventTemplateParser`, which compiles its eight JSONPath
 *   expressions with `jsonpath_ng.ext.parse` for every event: ~100–150 ms of Python CPU per PutEvents entry, so moto
 *   alone could not deliver 20 events/s. The wrapper memoises that parse.
 * - SQS checks each received message's retention by computing every queue attribute, the approximate counts over
 *   every stored message included, just to read `MessageRetentionPeriod`: a 10-message receive took 58 ms with 100
 *   messages queued and 1,123 ms with 2,000, capping any consumer near 16 messages/s. The wrapper reads the period
 *   from the queue directly (11 ms and 30 ms).
 * Otherwise it starts moto_server unchanged.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PATCH = [
  'import functools, sys',
  'import jsonpath_ng.ext',
  'jsonpath_ng.ext.parse = functools.lru_cache(maxsize=256)(jsonpath_ng.ext.parse)',
  'import moto.sqs.models as sqs_models',
  'def retained(self, queue_name, message):',
  '    period = int(self.get_queue(queue_name).message_retention_period)',
  '    return period + message.sent_timestamp / 1000 > sqs_models.unix_time()',
  'sqs_models.SQSBackend.is_message_valid_based_on_retention_period = retained',
  'from moto.server import main',
  'sys.argv[0] = "moto_server"',
  'main(sys.argv[1:])',
].join('\n');

/** The Python that runs `motoServerPath` (its shebang), else python3 (what scripts/ensure-moto.sh checks). */
function motoPython(motoServerPath: string): string {
  try {
    const first = readFileSync(motoServerPath, 'utf8').split('\n', 1)[0] ?? '';
    const interpreter = /^#!\s*(\S*python[\d.]*)\s*$/.exec(first)?.[1];
    if (interpreter) return interpreter;
  } catch {
    // A bare command name (on PATH) or an unreadable file: fall back.
  }
  return 'python3';
}

/** Writes the wrapper into `dir` and returns its path, to use in place of moto_server. */
export function fastMotoCommand(motoServerPath: string, dir: string): string {
  const path = join(dir, 'moto-server-fast');
  const python = motoPython(motoServerPath);
  writeFileSync(path, `#!/bin/sh\nexec '${python}' -c '${PATCH.replace(/'/g, `'\\''`)}' "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}
