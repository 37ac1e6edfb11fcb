/**
 * docker-compose.yml, checked without a Docker engine (CI has none): valid against the Compose specification's JSON
 * schema (vendored in test/fixtures), and consistent with itself and with this repository — references point at
 * services and volumes that exist, build contexts have a Dockerfile, our containers run real `remediator`
 * subcommands and are only given environment variables something actually reads.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parseDocument } from 'yaml';
import { buildProgram } from '../../src/cli';
import { REQUIRED_SEARCH_ATTRIBUTES } from '../../src/domain/search-attributes';
import packageJson from '../../package.json';
import composeSpec from '../fixtures/compose-spec.json';

const ROOT = join(__dirname, '../..');

/** The parts of a service these checks read (the schema vouches for the shapes). */
interface Service {
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  entrypoint?: unknown;
  depends_on?: string[] | Record<string, unknown>;
  links?: string[];
  volumes_from?: string[];
  network_mode?: string;
  volumes?: (string | { type?: string; source?: string })[];
  environment?: Record<string, unknown> | string[];
  healthcheck?: { test?: string | string[] };
}
interface ComposeFile {
  services?: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

/** Parses as Compose does: YAML 1.1 merge keys (`<<:`) on, duplicate keys an error. */
function loadCompose(path: string): ComposeFile {
  const doc = parseDocument(readFileSync(path, 'utf8'), { merge: true });
  if (doc.errors.length > 0 || doc.warnings.length > 0) {
    throw new Error([...doc.errors, ...doc.warnings].map((e) => e.message).join('\n'));
  }
  return doc.toJS() as ComposeFile;
}

// The schema declares draft 2020-12. Ajv's strict mode only warns about it (union types, keywords without `type`),
// which would bury real failures in noise; it uses no `format` keyword, so no format plugin is needed.
const validateSchema = new Ajv2020({ allErrors: true, strict: false }).compile(composeSpec);

/** Variable names src/config.ts reads: its upper-case string literals. */
const CONFIG_VARS = new Set(
  [...readFileSync(join(ROOT, 'src/config.ts'), 'utf8').matchAll(/'([A-Z][A-Z0-9_]+)'/g)].map((m) => m[1]),
);
/** What @temporalio/envconfig reads, from the string literals of its code (`TEMPORAL_GRPC_META_` is a prefix). */
const ENVCONFIG_LIB = dirname(require.resolve('@temporalio/envconfig'));
const ENVCONFIG_VARS = readdirSync(ENVCONFIG_LIB)
  .filter((file) => file.endsWith('.js'))
  .flatMap((file) => [...readFileSync(join(ENVCONFIG_LIB, file), 'utf8').matchAll(/'(TEMPORAL_[A-Z_]+)'/g)])
  .map((m) => m[1] ?? '');
/** The AWS SDK's standard variables we may set (region, endpoint override, static credentials). */
const AWS_SDK_VARS = new Set([
  'AWS_REGION',
  'AWS_ENDPOINT_URL',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
]);

function isReadVariable(name: string): boolean {
  return (
    CONFIG_VARS.has(name) ||
    AWS_SDK_VARS.has(name) ||
    ENVCONFIG_VARS.some((v) => name === v || (v.endsWith('_') && name.startsWith(v)))
  );
}

/** The Dockerfile's ENTRYPOINT, which every `build: .` service's `command` is appended to. */
const ENTRYPOINT = /^ENTRYPOINT \["node", "dist\/src\/cli\.js"\]$/m;

function asList(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : typeof value === 'string' ? value.split(/\s+/) : value;
}

/** Problems with references inside the file and to this repository; empty when consistent. */
function integrityProblems(compose: ComposeFile): string[] {
  const problems: string[] = [];
  const services = compose.services ?? {};
  const declaredVolumes = new Set(Object.keys(compose.volumes ?? {}));
  const program = buildProgram();
  for (const [name, svc] of Object.entries(services)) {
    const needService = (ref: string, via: string) => {
      if (!(ref in services)) problems.push(`${name}: ${via} names missing service '${ref}'`);
    };
    const dependsOn = Array.isArray(svc.depends_on) ? svc.depends_on : Object.keys(svc.depends_on ?? {});
    dependsOn.forEach((ref) => needService(ref, 'depends_on'));
    (svc.links ?? []).forEach((link) => needService(link.split(':')[0] ?? '', 'links'));
    for (const from of svc.volumes_from ?? []) {
      if (!from.startsWith('container:')) needService(from.split(':')[0] ?? '', 'volumes_from');
    }
    if (svc.network_mode?.startsWith('service:')) needService(svc.network_mode.slice(8), 'network_mode');

    for (const volume of svc.volumes ?? []) {
      // Short syntax: a source that is not a path is a named volume; long syntax says so with `type: volume`.
      const source =
        typeof volume === 'string'
          ? volume.includes(':') && !/^[./~]/.test(volume)
            ? volume.split(':')[0]
            : undefined
          : volume.type === 'volume'
            ? volume.source
            : undefined;
      if (source !== undefined && !declaredVolumes.has(source)) {
        problems.push(`${name}: volume '${source}' is not declared under top-level volumes`);
      }
    }

    if (svc.build === undefined) continue;
    const context = typeof svc.build === 'string' ? svc.build : (svc.build.context ?? '.');
    const dockerfile = join(
      ROOT,
      context,
      (typeof svc.build === 'object' && svc.build.dockerfile) || 'Dockerfile',
    );
    if (!existsSync(dockerfile)) {
      problems.push(`${name}: build context '${context}' has no ${dockerfile.slice(ROOT.length + 1)}`);
      continue;
    }
    // Our image: the command must be a `remediator` subcommand with options it has, behind our entrypoint.
    if (!ENTRYPOINT.test(readFileSync(dockerfile, 'utf8')) || svc.entrypoint !== undefined) {
      problems.push(`${name}: the entrypoint is not 'node dist/src/cli.js'`);
    }
    const [sub, ...args] = asList(svc.command);
    const command = program.commands.find((c) => c.name() === sub);
    if (!command) problems.push(`${name}: '${sub}' is not a remediator command`);
    for (const flag of args.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0])) {
      if (!command?.options.some((o) => o.long === flag)) problems.push(`${name}: ${sub} has no ${flag}`);
    }
    const env = Array.isArray(svc.environment)
      ? svc.environment.map((e) => e.split('=')[0] ?? '')
      : Object.keys(svc.environment ?? {});
    for (const variable of env.filter((v) => !isReadVariable(v))) {
      problems.push(`${name}: nothing reads environment variable ${variable}`);
    }
    // Health checks run inside the pruned image: what they load must be built from src/ or be a runtime dependency.
    for (const [, mod] of asList(svc.healthcheck?.test)
      .join(' ')
      .matchAll(/require\('([^']+)'\)/g)) {
      const dist = /^\.\/dist\/(src\/.+)$/.exec(mod ?? '');
      const pkg =
        mod
          ?.split('/')
          .slice(0, mod.startsWith('@') ? 2 : 1)
          .join('/') ?? '';
      const found = dist ? existsSync(join(ROOT, `${dist[1]}.ts`)) : pkg in packageJson.dependencies;
      if (!found) problems.push(`${name}: health check loads '${mod}', which the image does not have`);
    }
  }
  return problems;
}

/** Schema errors as `path: message`, then integrity problems; empty when the file is fine. */
function composeProblems(compose: ComposeFile): string[] {
  const schemaErrors = validateSchema(compose)
    ? []
    : (validateSchema.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? e.keyword}`);
  return [...schemaErrors, ...integrityProblems(compose)];
}

describe('docker-compose.yml', () => {
  const compose = loadCompose(join(ROOT, 'docker-compose.yml'));

  it('is valid against the Compose specification and every reference resolves', () => {
    expect(composeProblems(compose)).toEqual([]);
  });

  it('is the whole laptop stack: health-checked servers, a one-shot setup, worker and ingest after both', () => {
    const services = compose.services ?? {};
    expect(Object.keys(services).sort()).toEqual(['ingest', 'moto', 'setup', 'temporal', 'worker']);
    for (const name of ['temporal', 'moto', 'worker', 'ingest']) {
      expect({ [name]: asList(services[name]?.healthcheck?.test)[0] }).toEqual({ [name]: 'CMD' });
    }
    const ready = {
      temporal: { condition: 'service_healthy' },
      moto: { condition: 'service_healthy' },
      setup: { condition: 'service_completed_successfully' },
    };
    expect(services.worker?.depends_on).toEqual(ready);
    expect(services.ingest?.depends_on).toEqual(ready);
    expect(services.setup?.depends_on).toEqual({ moto: { condition: 'service_healthy' } });
  });

  it('registers every search attribute the worker checks for, and keeps Temporal state on a volume', () => {
    const args = asList(compose.services?.temporal?.command);
    const registered = args.flatMap((a, i) => (args[i - 1] === '--search-attribute' ? [a] : []));
    // The SDK spells types KEYWORD_LIST, the CLI KeywordList.
    const cliType = (type: string) =>
      type.toLowerCase().replace(/(?:^|_)(\w)/g, (_, c: string) => c.toUpperCase());
    const expected = REQUIRED_SEARCH_ATTRIBUTES.map((key) => `${key.name}=${cliType(key.type)}`);
    expect(registered.sort()).toEqual(expected.sort());
    const db = args[args.indexOf('--db-filename') + 1] ?? '';
    const mounts = (compose.services?.temporal?.volumes ?? []).filter((v) => typeof v === 'string');
    expect(mounts.some((m) => db.startsWith(`${m.split(':')[1]}/`))).toBe(true);
  });
});

it('reports a broken file: a schema violation and references to things that do not exist', () => {
  // Prepare: the real file, broken in several ways.
  const broken = loadCompose(join(ROOT, 'docker-compose.yml'));
  const services = broken.services ?? {};
  Object.assign(services.moto ?? {}, { ports: 7 });
  services.worker = {
    ...services.worker,
    command: ['wroker', '--verbose'],
    depends_on: { ghost: { condition: 'service_healthy' } },
    volumes: ['scratch:/tmp/scratch'],
    environment: { TEMPORAL_ADRESS: 'temporal:7233' },
    healthcheck: { test: ['CMD', 'node', '-e', "require('./dist/src/health')"] },
  };

  // Act
  const problems = composeProblems(broken);

  // Assess
  expect(problems).toEqual(
    expect.arrayContaining([
      '/services/moto/ports: must be array',
      "worker: depends_on names missing service 'ghost'",
      "worker: volume 'scratch' is not declared under top-level volumes",
      "worker: 'wroker' is not a remediator command",
      'worker: wroker has no --verbose',
      'worker: nothing reads environment variable TEMPORAL_ADRESS',
      "worker: health check loads './dist/src/health', which the image does not have",
    ]),
  );
});
