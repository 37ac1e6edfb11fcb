/**
 * A minimal local stand-in for the two detector reads moto lacks: GuardDuty's GetFindings (REST-JSON,
 * `POST /detector/{detectorId}/findings/get`) and AWS Config's GetComplianceDetailsByResource (awsJson1_1,
 * `X-Amz-Target: StarlingDoveService.GetComplianceDetailsByResource`). It answers from the findings and evaluation
 * results a test seeds, in the services' wire shapes, and records every request so a test can count the calls.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** One request the stand-in received. */
export interface StandInRequest {
  readonly path: string;
  readonly target?: string;
  /** The region the request was signed for (from its credential scope). */
  readonly region?: string;
  readonly body: Record<string, unknown>;
}

/** A GuardDuty finding in its wire shape: camelCase, as GetFindings returns it (and EventBridge carries it). */
export type GuardDutyWireFinding = Record<string, unknown> & { readonly id: string };

/** One AWS Config evaluation result. */
export interface ConfigEvaluation {
  readonly ruleName: string;
  readonly resourceType: string;
  readonly resourceId: string;
  readonly complianceType: 'COMPLIANT' | 'NON_COMPLIANT' | 'NOT_APPLICABLE' | 'INSUFFICIENT_DATA';
}

/** An AWS error the next request gets instead of its answer. */
export interface InjectedError {
  readonly status: number;
  readonly type: string;
}

/** The running stand-in; tests seed and inspect its state directly. */
export interface DetectorStandIn {
  readonly endpoint: string;
  readonly requests: StandInRequest[];
  /** Findings by detector id; a detector not in the map is not the caller's (GuardDuty says BadRequestException). */
  readonly guardDutyFindings: Map<string, GuardDutyWireFinding[]>;
  readonly evaluations: ConfigEvaluation[];
  /** Results per GetComplianceDetailsByResource page. */
  configPageSize: number;
  failNext: InjectedError | undefined;
  /** Forgets requests, seeded state and injected errors. */
  reset(): void;
  close(): Promise<void>;
}

const GUARDDUTY_GET = /^\/detector\/([^/]+)\/findings\/get$/;
const CONFIG_TARGET = 'StarlingDoveService.GetComplianceDetailsByResource';

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (chunk: Buffer) => (data += chunk.toString()));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, contentType: string, body: unknown): void {
  res.writeHead(status, { 'content-type': contentType }).end(JSON.stringify(body));
}

/** Starts the stand-in on 127.0.0.1, on a free port. */
export async function startDetectorStandIn(): Promise<DetectorStandIn> {
  const state = {
    endpoint: '',
    requests: [] as StandInRequest[],
    guardDutyFindings: new Map<string, GuardDutyWireFinding[]>(),
    evaluations: [] as ConfigEvaluation[],
    configPageSize: 100,
    failNext: undefined as InjectedError | undefined,
    reset() {
      state.requests.length = 0;
      state.guardDutyFindings.clear();
      state.evaluations.length = 0;
      state.configPageSize = 100;
      state.failNext = undefined;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };

  function guardDuty(res: ServerResponse, detectorId: string, body: Record<string, unknown>): void {
    const findings = state.guardDutyFindings.get(decodeURIComponent(detectorId));
    if (!findings) {
      res
        .writeHead(400, { 'content-type': 'application/json', 'x-amzn-errortype': 'BadRequestException' })
        .end(
          JSON.stringify({
            message:
              'The request is rejected because the input detectorId is not owned by the current account.',
          }),
        );
      return;
    }
    const ids = new Set((body.findingIds as string[] | undefined) ?? []);
    json(res, 200, 'application/json', { findings: findings.filter((f) => ids.has(f.id)) });
  }

  function config(res: ServerResponse, body: Record<string, unknown>): void {
    const types = (body.ComplianceTypes as string[] | undefined) ?? [];
    const matching = state.evaluations.filter(
      (e) =>
        e.resourceType === body.ResourceType &&
        e.resourceId === body.ResourceId &&
        (types.length === 0 || types.includes(e.complianceType)),
    );
    const start = Number(body.NextToken ?? 0);
    const page = matching.slice(start, start + state.configPageSize);
    const next =
      start + state.configPageSize < matching.length ? String(start + state.configPageSize) : undefined;
    const now = Date.now() / 1000;
    json(res, 200, 'application/x-amz-json-1.1', {
      EvaluationResults: page.map((e) => ({
        EvaluationResultIdentifier: {
          EvaluationResultQualifier: {
            ConfigRuleName: e.ruleName,
            ResourceType: e.resourceType,
            ResourceId: e.resourceId,
            EvaluationMode: 'DETECTIVE',
          },
          OrderingTimestamp: now,
        },
        ComplianceType: e.complianceType,
        ResultRecordedTime: now,
        ConfigRuleInvokedTime: now,
      })),
      ...(next ? { NextToken: next } : {}),
    });
  }

  const server: Server = createServer((req, res) => {
    void readBody(req).then((text) => {
      const target = req.headers['x-amz-target'] as string | undefined;
      const region = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(req.headers.authorization ?? '')?.[1];
      const body = JSON.parse(text || '{}') as Record<string, unknown>;
      state.requests.push({
        path: req.url ?? '',
        ...(target ? { target } : {}),
        ...(region ? { region } : {}),
        body,
      });
      const failure = state.failNext;
      if (failure) {
        state.failNext = undefined;
        res
          .writeHead(failure.status, { 'content-type': 'application/json', 'x-amzn-errortype': failure.type })
          .end(JSON.stringify({ __type: failure.type, message: 'injected by the test' }));
        return;
      }
      const detector = GUARDDUTY_GET.exec(req.url ?? '')?.[1];
      if (req.method === 'POST' && detector) guardDuty(res, detector, body);
      else if (target === CONFIG_TARGET) config(res, body);
      else res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  state.endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return state;
}
