/**
 * Tickets as Jira Cloud issues (REST API v3). Idempotent per finding and run: the issue carries a label derived from
 * the ticket key, and a search for that label comes before any create, so a retried activity finds its issue.
 */
import { createHash } from 'node:crypto';
import type { Ticket, TicketSink } from './ticket-sink';
import { TicketSinkError } from './webhook-sink';

/** Where and as whom to create issues. The API token is a secret: it is never logged. */
export interface JiraOptions {
  readonly baseUrl: string;
  readonly email: string;
  readonly apiToken: string;
  readonly projectKey: string;
  readonly issueType: string;
}

/** The label that makes an issue findable again by its ticket key. */
export function idempotencyLabel(key: string): string {
  return `remediator-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

/** Atlassian Document Format for plain paragraphs. */
function adf(text: string) {
  return {
    type: 'doc',
    version: 1,
    content: text
      .split('\n\n')
      .map((para) => ({ type: 'paragraph', content: para ? [{ type: 'text', text: para }] : [] })),
  };
}

/** Builds the Jira sink. */
export function jiraSink(options: JiraOptions): TicketSink {
  const base = options.baseUrl.replace(/\/+$/, '');
  const headers = {
    authorization: `Basic ${Buffer.from(`${options.email}:${options.apiToken}`).toString('base64')}`,
    accept: 'application/json',
    'content-type': 'application/json',
  };
  const call = async (path: string, body: unknown, abortSignal?: AbortSignal) => {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      ...(abortSignal ? { signal: abortSignal } : {}),
    });
    if (!response.ok) {
      const text = (await response.text().catch(() => '')).slice(0, 300);
      throw new TicketSinkError(`Jira ${path} answered ${response.status}: ${text}`, response.status);
    }
    return response.json() as Promise<Record<string, unknown>>;
  };
  return {
    name: 'jira',
    async open(ticket: Ticket, abortSignal?: AbortSignal): Promise<string> {
      const label = idempotencyLabel(ticket.key);
      const found = (await call(
        '/rest/api/3/search/jql',
        { jql: `project = "${options.projectKey}" AND labels = "${label}"`, fields: ['key'], maxResults: 1 },
        abortSignal,
      )) as { issues?: Array<{ key?: string }> };
      const existing = found.issues?.[0]?.key;
      if (existing) return `jira:${existing}`;
      const created = (await call(
        '/rest/api/3/issue',
        {
          fields: {
            project: { key: options.projectKey },
            issuetype: { name: options.issueType },
            summary: ticket.title.slice(0, 250),
            description: adf(`${ticket.body}\n\nExecution: ${ticket.record.link}`),
            labels: ['remediator', label],
          },
        },
        abortSignal,
      )) as { key?: string };
      if (!created.key) throw new TicketSinkError('Jira created an issue without a key', 502);
      return `jira:${created.key}`;
    },
  };
}
