/**
 * The container image, checked statically (no Docker engine here or in CI): the base is glibc Debian slim on the
 * Node.js LTS of .node-lts (the version scripts/test.sh runs the suite under a second time, after .node-floor's, the
 * oldest version package.json engines allows), the build is
 * multi-stage and ships the prebuilt workflow bundle at WORKFLOW_BUNDLE_PATH, the final stage runs as a non-root
 * user, and everything the Dockerfile copies or runs exists (and is not excluded by .dockerignore).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';

const ROOT = join(__dirname, '../..');
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

interface Stage {
  readonly image: string;
  readonly name?: string;
  readonly instructions: Instruction[];
}

/** Instructions with line continuations joined; comments and blank lines dropped. */
function instructions(text: string): Instruction[] {
  const result: Instruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || line === '') continue;
    pending += pending ? ` ${line}` : line;
    if (pending.endsWith('\\')) {
      pending = pending.slice(0, -1).trimEnd();
      continue;
    }
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(pending) ?? [];
    result.push({ keyword: keyword.toUpperCase(), args });
    pending = '';
  }
  return result;
}

/** Words of a shell-like argument string, quotes removed (enough for ENV, LABEL, COPY). */
function words(args: string): string[] {
  return [...args.matchAll(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g)].map((m) => m[0].replace(/["']/g, ''));
}

/** `key=value` pairs of ENV or LABEL. */
function pairs(args: string): Record<string, string> {
  return Object.fromEntries(
    words(args).map((w) =>
      w.includes('=') ? [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)] : [w, ''],
    ),
  );
}

/** An exec-form (JSON array) argument, such as ENTRYPOINT's or CMD's. */
function execForm(args: string): unknown {
  return JSON.parse(args);
}

const dockerfile = instructions(read('Dockerfile'));
const firstFrom = dockerfile.findIndex((i) => i.keyword === 'FROM');
/** ARGs declared before the first FROM, with their defaults: what FROM lines may use. */
const globalArgs = pairs(
  dockerfile
    .slice(0, firstFrom)
    .filter((i) => i.keyword === 'ARG')
    .map((i) => i.args)
    .join(' '),
);
const substitute = (value: string): string =>
  value.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a?: string, b?: string) => globalArgs[(a ?? b)!] ?? '');

const stages: Stage[] = [];
for (const instruction of dockerfile.slice(firstFrom)) {
  if (instruction.keyword === 'FROM') {
    const [image = '', as, name] = words(instruction.args.replace(/--platform=\S+\s*/, ''));
    stages.push({
      image: substitute(image),
      ...(as?.toUpperCase() === 'AS' && name ? { name } : {}),
      instructions: [],
    });
  } else {
    stages.at(-1)!.instructions.push(instruction);
  }
}
const finalStage = stages.at(-1)!;
const all = (stage: Stage, keyword: string): Instruction[] =>
  stage.instructions.filter((i) => i.keyword === keyword);
const workdir = (stage: Stage): string =>
  all(stage, 'WORKDIR').reduce((dir, i) => posix.resolve(dir, i.args), '/');

const pkg = JSON.parse(read('package.json')) as {
  license: string;
  engines: { node: string };
  bin: Record<string, string>;
  scripts: Record<string, string>;
};
const lts = read('.node-lts').trim();
const floor = read('.node-floor').trim();
/** The x.y.z of package.json engines.node, which must read `>=x.y.z` (scripts/ensure-node.sh reads it so). */
const enginesMin = /^>=\s*(\d+\.\d+\.\d+)$/.exec(pkg.engines.node)?.[1];
const semver = (version: string): number[] => version.split('.').map(Number);
const compare = (a: string, b: string): number =>
  semver(a).reduce((diff, part, i) => diff || part - (semver(b)[i] ?? 0), 0);

/** Whether .dockerignore keeps `path` out of the build context (Docker's rules: last matching pattern wins). */
function ignored(path: string): boolean {
  const patterns = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  // Go's filepath.Match per segment, plus `**` for any number of directories.
  const segment = (glob: string): string =>
    glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]');
  const regex = (pattern: string): RegExp => {
    const glob = posix.normalize(pattern.replace(/^\//, ''));
    const body = glob
      .split('**/')
      .map((part) => part.split('**').map(segment).join('.*'))
      .join('(?:.*/)?');
    return new RegExp(`^${body}(?:/.*)?$`);
  };
  let excluded = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    if (regex(negated ? pattern.slice(1) : pattern).test(posix.normalize(path))) excluded = !negated;
  }
  return excluded;
}

describe('.node-lts: the one place the LTS version is written', () => {
  it('holds one exact Node.js version', () => {
    expect(lts).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('is what the Dockerfile builds on (ARG NODE_VERSION default) and what the second test run installs', () => {
    expect(globalArgs.NODE_VERSION).toBe(lts);
    expect(read('scripts/test.sh')).toContain('scripts/ensure-node.sh .node-lts');
    expect(read('scripts/ensure-node-lts.sh')).toContain('ensure-node.sh" .node-lts');
  });

  it('is a version the code supports (package.json engines)', () => {
    expect(enginesMin).toMatch(/^\d+\.\d+\.\d+$/);
    expect(compare(lts, enginesMin!)).toBeGreaterThanOrEqual(0);
  });
});

describe('.node-floor: the oldest Node.js major the code supports, pinned for the first test run', () => {
  it('holds one exact Node.js version', () => {
    expect(floor).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('is of the major package.json engines starts at, and not below its minimum', () => {
    expect(floor.split('.')[0]).toBe(enginesMin!.split('.')[0]);
    expect(compare(floor, enginesMin!)).toBeGreaterThanOrEqual(0);
  });

  it('is older than the LTS, so the two test runs prove two versions', () => {
    expect(compare(floor, lts)).toBeLessThan(0);
  });

  it('is what the first test run installs, and what the scripts fall back to on an older Node.js', () => {
    const test = read('scripts/test.sh');
    expect(test).toContain('scripts/ensure-node.sh .node-floor');
    expect(test).toContain('scripts/ensure-node.sh --path-dir .node-floor');
    expect(read('scripts/demo.sh')).toContain('scripts/ensure-node.sh --path-dir .node-floor');
  });
});

describe('Dockerfile', () => {
  it('builds in stages, every one on glibc Debian slim of the LTS (core-bridge ships no musl build)', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) {
      expect(stage.image).toMatch(/^node:\d+\.\d+\.\d+-(bookworm|trixie)-slim$/);
      expect(stage.image).toBe(`node:${lts}-${/-(\w+)-slim$/.exec(stage.image)![1]}-slim`);
    }
  });

  it('installs from the lock file, builds, prebuilds the workflow bundle and prunes dev dependencies', () => {
    const runs = stages.flatMap((s) => all(s, 'RUN').map((i) => i.args)).join(' && ');
    expect(runs).toMatch(/\bnpm ci\b/);
    const order = ['npm run build', 'npm run bundle:workflows', 'npm prune --omit=dev'].map((c) =>
      runs.indexOf(c),
    );
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('runs only npm scripts that package.json has', () => {
    const runs = stages.flatMap((s) => all(s, 'RUN').map((i) => i.args)).join('\n');
    const scripts = [...runs.matchAll(/\bnpm run(?:-script)?(?:\s+--?[\w-]+)*\s+([\w:.-]+)/g)].map(
      (m) => m[1],
    );
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) expect(Object.keys(pkg.scripts)).toContain(script);
  });

  it('copies only what exists in the repository and is in the build context, or from an earlier stage', () => {
    stages.forEach((stage, index) => {
      for (const copy of [...all(stage, 'COPY'), ...all(stage, 'ADD')]) {
        const parts = copy.args.startsWith('[') ? (execForm(copy.args) as string[]) : words(copy.args);
        const from = parts.find((p) => p.startsWith('--from='))?.slice('--from='.length);
        const sources = parts.filter((p) => !p.startsWith('--')).slice(0, -1);
        expect(sources.length).toBeGreaterThan(0);
        if (from !== undefined) {
          expect(stages.slice(0, index).map((s) => s.name)).toContain(from);
          continue;
        }
        for (const source of sources) {
          expect({ source, exists: existsSync(join(ROOT, source)) }).toEqual({ source, exists: true });
          expect({ source, ignored: ignored(source) }).toEqual({ source, ignored: false });
        }
      }
    });
  });

  it('ships the bundle written in the build stage at WORKFLOW_BUNDLE_PATH of the final stage', () => {
    const build = stages.find((s) => all(s, 'RUN').some((i) => i.args.includes('npm run bundle:workflows')))!;
    const out = /--out\s+(\S+)/.exec(pkg.scripts['bundle:workflows'] ?? '')?.[1];
    expect(out).toBeDefined();
    const built = posix.resolve(workdir(build), out!);
    // Where that file lands in the final stage: through the COPY --from that carries it.
    const shipped = all(finalStage, 'COPY')
      .map((i) => words(i.args))
      .filter((w) => w.includes(`--from=${build.name}`))
      .map((w) => w.filter((p) => !p.startsWith('--')))
      .map(([source = '', dest = '']) => [posix.resolve(workdir(build), source), dest] as const)
      .filter(([source]) => built === source || built.startsWith(`${source}/`))
      .map(([source, dest]) =>
        posix.join(posix.resolve(workdir(finalStage), dest), built.slice(source.length)),
      );
    const env = Object.assign({}, ...all(finalStage, 'ENV').map((i) => pairs(i.args))) as Record<
      string,
      string
    >;
    expect(env.WORKFLOW_BUNDLE_PATH).toBeDefined();
    expect(shipped).toContain(env.WORKFLOW_BUNDLE_PATH);
    expect(env.NODE_ENV).toBe('production');
    // Each V8 heap bounded (docs/operations.md, Sizing): the bench runs its bounded-cache phase with the same value.
    expect(env.NODE_OPTIONS).toMatch(/^--max-old-space-size=\d+$/);
  });

  it('runs `remediator worker` as a non-root user in the final stage', () => {
    const user = all(finalStage, 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(user!.split(':')[0]).not.toMatch(/^(root|0)$/);
    expect(execForm(all(finalStage, 'ENTRYPOINT').at(-1)!.args)).toEqual(['node', pkg.bin.remediator]);
    expect(execForm(all(finalStage, 'CMD').at(-1)!.args)).toEqual(['worker']);
  });

  it('carries the OCI labels', () => {
    const labels = Object.assign({}, ...all(finalStage, 'LABEL').map((i) => pairs(i.args))) as Record<
      string,
      string
    >;
    expect(labels['org.opencontainers.image.title']).toBe('remediator');
    expect(labels['org.opencontainers.image.description']).toBeTruthy();
    expect(labels['org.opencontainers.image.licenses']).toBe(pkg.license);
    expect(substitute(labels['org.opencontainers.image.base.name'] ?? '')).toBe(
      `docker.io/library/${finalStage.image}`,
    );
  });
});

describe('.dockerignore', () => {
  it.each(['node_modules', 'dist', '.git', '.test-report', 'coverage', 'ci-test.log', 'infra/cdk.out'])(
    'keeps %s out of the build context',
    (path) => {
      expect(ignored(path)).toBe(true);
    },
  );

  it('keeps what the build needs', () => {
    for (const path of ['package.json', 'package-lock.json', 'tsconfig.json', 'src/cli.ts']) {
      expect({ path, ignored: ignored(path) }).toEqual({ path, ignored: false });
    }
  });
});
