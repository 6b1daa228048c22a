import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import nock from 'nock';
import {
  NodeConnectionTypes,
  NodeHelpers,
  type IExecuteFunctions,
  type INode,
  type INodeExecutionData,
  type INodeProperties,
  type INodePropertyCollection,
  type INodeType,
  type INodeTypeDescription,
  type IConnections,
} from 'n8n-workflow';
import pino from 'pino';
import { bandDistributionSvg } from '../../service/charts/band-distribution';
import { svgToPng } from '../../service/charts/png';
import { scoreHistorySvg } from '../../service/charts/score-history';
import { loadConfig } from '../../service/config';
import { createApp } from '../../service/http/app';
import { CrossingDetector } from '../../service/scoring/crossings';
import { ScoringEngine } from '../../service/scoring/engine';
import type { Db } from '../../service/store/db';
import { ManualClock } from '../helpers/clock';
import { API_KEY, BASE_URL, contactAnswer, credentials, mockTheService, PROFILE_ID, serve } from './contract';
import { ACTION_TYPE, CREDENTIAL_NAME, nodeTypeClasses, runWorkflow, TRIGGER_TYPE } from './harness';

/**
 * The workflows in examples/n8n, as a builder imports them: every parameter of our nodes exists and
 * is shown for the chosen resource and operation, only the profile is left to pick, and each
 * workflow runs in n8n's engine (n8n's own nodes replaced by stand-ins that show what they got).
 */

const examplesDir = path.resolve(__dirname, '../../examples/n8n');
type WorkflowJson = { name: string; nodes: INode[]; connections: IConnections };
const load = (file: string): WorkflowJson => JSON.parse(readFileSync(path.join(examplesDir, file), 'utf8'));
const files = readdirSync(examplesDir).filter((file) => file.endsWith('.json'));

/** Stands in for one of n8n's own nodes: passes its input on, or outputs the listed parameters as resolved. */
class StandIn implements INodeType {
  description: INodeTypeDescription;

  execute: (this: IExecuteFunctions) => Promise<INodeExecutionData[][]>;

  constructor(name: string, shown: string[] = []) {
    this.description = {
      displayName: name,
      name,
      group: ['transform'],
      version: [1, 1.2, 2, 2.1, 2.2],
      description: 'stand-in',
      defaults: { name },
      inputs: [NodeConnectionTypes.Main],
      outputs: [NodeConnectionTypes.Main],
      properties: shown.map((parameter) => ({ displayName: parameter, name: parameter, type: 'string', default: '' })),
    };
    this.execute = function (this: IExecuteFunctions) {
      const items = this.getInputData();
      if (shown.length === 0) return Promise.resolve([items]);
      return Promise.resolve([
        items.map((item, itemIndex) => ({
          json: Object.fromEntries(shown.map((parameter) => [parameter, this.getNodeParameter(parameter, itemIndex)])),
          // Files go on with the item, as the attachments of an email do.
          ...(item.binary ? { binary: item.binary } : {}),
          pairedItem: { item: itemIndex },
        })),
      ]);
    };
  }
}

const text = (displayName: string, name: string): INodeProperties => ({ displayName, name, type: 'string', default: '' });

/**
 * Stands in for n8n's HTTP Request node as the examples use it: a GET signed with one of the
 * account's credentials (`predefinedCredentialType`, which n8n gives the HTTP Request node), query
 * parameters, and the answer kept as a file under `outputPropertyName`.
 */
class HttpRequestStandIn implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'HTTP Request',
    name: 'httpRequest',
    group: ['output'],
    version: [4, 4.1, 4.2],
    description: 'stand-in',
    defaults: { name: 'HTTP Request' },
    inputs: [NodeConnectionTypes.Main],
    outputs: [NodeConnectionTypes.Main],
    properties: [
      text('URL', 'url'),
      text('Authentication', 'authentication'),
      text('Credential Type', 'nodeCredentialType'),
      { displayName: 'Send Query Parameters', name: 'sendQuery', type: 'boolean', default: false },
      {
        displayName: 'Query Parameters',
        name: 'queryParameters',
        type: 'fixedCollection',
        typeOptions: { multipleValues: true },
        default: {},
        options: [{ displayName: 'Parameter', name: 'parameters', values: [text('Name', 'name'), text('Value', 'value')] }],
      },
      {
        displayName: 'Options',
        name: 'options',
        type: 'collection',
        default: {},
        options: [
          {
            displayName: 'Response',
            name: 'response',
            type: 'fixedCollection',
            default: {},
            options: [
              {
                displayName: 'Response',
                name: 'response',
                values: [text('Format', 'responseFormat'), text('Put Output in Field', 'outputPropertyName')],
              },
            ],
          },
        ],
      },
    ],
  };

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    const output: INodeExecutionData[] = [];
    for (let itemIndex = 0; itemIndex < this.getInputData().length; itemIndex++) {
      const parameter = <T>(name: string, fallback?: T) => this.getNodeParameter(name, itemIndex, fallback) as T;
      if (parameter<string>('authentication') !== 'predefinedCredentialType') throw new Error('the examples sign in with the account');
      const response = parameter<{ responseFormat?: string; outputPropertyName?: string }>('options.response.response', {});
      if (response.responseFormat !== 'file') throw new Error('the examples fetch files');
      const query = parameter<Array<{ name: string; value: string }>>('queryParameters.parameters', []);
      const answer = (await this.helpers.httpRequestWithAuthentication.call(this, parameter<string>('nodeCredentialType'), {
        method: 'GET',
        url: parameter<string>('url'),
        qs: parameter<boolean>('sendQuery') ? Object.fromEntries(query.map((entry) => [entry.name, entry.value])) : {},
        encoding: 'arraybuffer',
        returnFullResponse: true,
      })) as { body: ArrayBuffer; headers: Record<string, string> };
      const fileName = /filename="([^"]+)"/.exec(answer.headers['content-disposition'] ?? '')?.[1];
      const file = await this.helpers.prepareBinaryData(Buffer.from(answer.body), fileName, answer.headers['content-type']);
      output.push({ json: {}, binary: { [response.outputPropertyName ?? 'data']: file }, pairedItem: { item: itemIndex } });
    }
    return [output];
  }
}

const emailFields = ['fromEmail', 'toEmail', 'subject', 'emailFormat', 'text'];
Object.assign(nodeTypeClasses, {
  'n8n-nodes-base.formTrigger': new StandIn('formTrigger'),
  'n8n-nodes-base.scheduleTrigger': new StandIn('scheduleTrigger'),
  'n8n-nodes-base.emailSend': new StandIn('emailSend', [...emailFields, 'options']),
  'n8n-nodes-base.stickyNote': new StandIn('stickyNote'),
  'n8n-nodes-base.httpRequest': new HttpRequestStandIn(),
});

/** The service address the examples' HTTP Request nodes come with (the credential's default Base URL). */
const EXAMPLE_SERVICE_URL = 'http://127.0.0.1:3000/';

/** The example with a profile picked and the service's address in its HTTP requests, as a builder would finish it. */
function prepared(file: string): WorkflowJson {
  const workflow = load(file);
  for (const node of workflow.nodes) {
    if (node.parameters.profile) node.parameters.profile = { __rl: true, mode: 'list', value: PROFILE_ID };
    if (typeof node.parameters.url === 'string') node.parameters.url = node.parameters.url.replace(EXAMPLE_SERVICE_URL, `${BASE_URL}/`);
  }
  return workflow;
}

// The route registry alone (no database), to hold the chart requests to the service's own schemas.
const { routes } = createApp({
  db: {} as Db,
  clock: new ManualClock(),
  logger: pino({ level: 'silent' }),
  config: loadConfig({}),
  engine: new ScoringEngine(new CrossingDetector()),
  progress: { waitFor: () => Promise.resolve() },
});

type ChartRequest = { params: Record<string, string>; query: Record<string, unknown> };

/**
 * Serves a chart route as the service does (PNG or SVG, named for attachments), rendered by the
 * service's own chart modules; a request the route's schemas refuse fails the test.
 */
function serveChart(template: string, svg: (request: ChartRequest) => string) {
  const route = routes.routes.find((candidate) => candidate.method === 'get' && candidate.path === template);
  if (!route) throw new Error(`The service has no route GET ${template}`);
  const names = [...template.matchAll(/:(\w+)/g)].map((match) => match[1]);
  const pattern = new RegExp(`^${template.replace(/:(\w+)/g, '([^/?]+)')}(?:\\?.*)?$`);
  const received: ChartRequest[] = [];
  nock(BASE_URL)
    .persist()
    .get((uri) => pattern.test(uri))
    .reply(function (uri, _body, callback) {
      const url = new URL(uri, BASE_URL);
      const match = pattern.exec(uri)!;
      const request = {
        params: Object.fromEntries(names.map((name, index) => [name, decodeURIComponent(match[index + 1])])),
        query: Object.fromEntries(url.searchParams),
      };
      received.push(request);
      const problems = [
        this.req.headers.authorization === `Bearer ${API_KEY}` ? [] : ['sent without the credential’s key'],
        route.params?.safeParse(request.params).success === false ? ['path refused'] : [],
        route.query?.safeParse(request.query).success === false ? [`query refused: ${JSON.stringify(request.query)}`] : [],
      ].flat();
      if (problems.length > 0) {
        callback(null, [500, problems.join('; ')]);
        return;
      }
      const format = request.query.format ?? 'svg';
      const document = svg(request);
      const headers = {
        'Content-Type': format === 'png' ? 'image/png' : 'image/svg+xml; charset=utf-8',
        'Content-Disposition': `inline; filename="chart.${String(format)}"`,
      };
      if (format !== 'png') callback(null, [200, document, headers]);
      else
        svgToPng(document).then(
          (png) => callback(null, [200, png, headers]),
          (error: Error) => callback(error, [500]),
        );
    });
  return received;
}

/** An attached file as n8n keeps it: its bytes, type and name. */
function attached(item: INodeExecutionData, property: string) {
  const file = item.binary?.[property];
  if (!file) throw new Error(`no file ${property} on the item`);
  return { bytes: Buffer.from(file.data, 'base64'), mimeType: file.mimeType, fileName: file.fileName };
}

const PNG_SIGNATURE = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);

/** Problems with `values` against the node's properties: unknown, hidden or misspelt parameters and options. */
function parameterProblems(description: INodeTypeDescription, node: INode): string[] {
  const problems: string[] = [];
  const isExpression = (value: unknown) => typeof value === 'string' && value.startsWith('=');
  for (const [name, value] of Object.entries(node.parameters)) {
    const property = description.properties.find(
      (candidate) => candidate.name === name && NodeHelpers.displayParameter(node.parameters, candidate, node, description),
    );
    if (!property) {
      problems.push(
        `${name} is not a parameter shown for ${JSON.stringify(node.parameters.resource ?? node.parameters.event)}/${JSON.stringify(node.parameters.operation ?? '')}`,
      );
      continue;
    }
    if (property.type === 'collection') {
      const known = (property.options as INodeProperties[]).map((option) => option.name);
      for (const key of Object.keys(value as object))
        if (!known.includes(key)) problems.push(`${name}.${key} is not an option of ${property.displayName}`);
    } else if (property.type === 'fixedCollection') {
      for (const [group, entries] of Object.entries(value as Record<string, Array<Record<string, unknown>>>)) {
        const definition = (property.options as INodePropertyCollection[]).find((option) => option.name === group);
        if (!definition) problems.push(`${name}.${group} is not a group of ${property.displayName}`);
        for (const entry of definition ? entries : [])
          for (const key of Object.keys(entry))
            if (!definition!.values.some((field) => field.name === key)) problems.push(`${name}.${group}.${key} is unknown`);
      }
    } else if (property.type === 'options' && !isExpression(value) && !property.typeOptions?.loadOptionsMethod) {
      if (!(property.options as Array<{ value: unknown }>).some((option) => option.value === value))
        problems.push(`${name} = ${JSON.stringify(value)} is not one of its options`);
    } else if (property.type === 'resourceLocator') {
      const locator = value as { __rl?: boolean; mode?: string };
      if (!locator.__rl || !property.modes?.some((mode) => mode.name === locator.mode))
        problems.push(`${name} is not a valid resource locator value`);
    }
  }
  return problems;
}

describe.each(files)('examples/n8n/%s', (file) => {
  const workflow = load(file);

  it('uses our nodes with parameters they have, and leaves only the profile to pick', () => {
    const ours = workflow.nodes.filter((node) => node.type === ACTION_TYPE || node.type === TRIGGER_TYPE);
    expect(ours.length).toBeGreaterThan(0);
    for (const node of ours) {
      const { description } = nodeTypeClasses[node.type];
      expect({ node: node.name, typeVersion: node.typeVersion, credentials: node.credentials }).toEqual({
        node: node.name,
        // The node's latest version, as n8n gives a node added today.
        typeVersion: Math.max(...[description.version].flat()),
        credentials: { engagementScoreApi: { id: null, name: CREDENTIAL_NAME } },
      });
      expect({ node: node.name, problems: parameterProblems(description, node) }).toEqual({ node: node.name, problems: [] });
      const issues = NodeHelpers.getNodeParametersIssues(description.properties, structuredClone(node), description);
      expect({ node: node.name, issues: Object.keys(issues?.parameters ?? {}) }).toEqual({
        node: node.name,
        issues: node.parameters.profile ? ['profile'] : [],
      });
    }
  });

  it('connects nodes that exist, each named once', () => {
    const names = workflow.nodes.map((node) => node.name);
    expect(new Set(names).size).toBe(names.length);
    for (const [source, outputs] of Object.entries(workflow.connections)) {
      expect(names).toContain(source);
      for (const target of Object.values(outputs).flat(2)) expect(names).toContain(target!.node);
    }
  });
});

describe('the examples run', () => {
  mockTheService();

  it('VIP going cold: a delivery becomes an email to the owner with the suggestions', async () => {
    const workflow = prepared('vip-going-cold.json');
    const event = {
      id: 'a1b2c3d4-0000-4000-8000-000000000001',
      type: 'score.dropped_below',
      occurredAt: '2026-07-04T14:18:21.695Z',
      profile: { id: PROFILE_ID, name: 'Engagement' },
      contact: { id: 'crm-42', name: 'Ada', email: 'ada@example.com', tags: ['vip'], ownerId: 'grace@example.com', accountId: 'acme' },
      score: 39.99,
      previousScore: 52.5,
      threshold: 40,
      direction: 'down',
      band: { name: 'Needs attention', color: '#d64545' },
      previousBand: { name: 'Warm', color: '#e0a800' },
      cause: 'time',
      suggestions: [{ action: 'schedule_call', message: 'No contact for a month: schedule a call' }],
    };
    const charts = serveChart('/v1/profiles/:id/scores/:contactId/chart', ({ params }) =>
      scoreHistorySvg({
        title: `${params.contactId}: Engagement`,
        points: [
          { at: '2026-07-03T14:00:00.000Z', score: 52.5 },
          { at: '2026-07-04T14:00:00.000Z', score: 39.99 },
        ],
        bands: [
          { name: 'Needs attention', min: 0, max: 40, color: '#d64545' },
          { name: 'Warm', min: 40, max: 100, color: '#e0a800' },
        ],
      }),
    );
    const result = await runWorkflow({ ...workflow, startNode: 'VIP score dropped below 40', items: [event], credentials });
    expect(result.error).toBeUndefined();
    expect(charts).toEqual([{ params: { id: PROFILE_ID, contactId: 'crm-42' }, query: { format: 'png', interval: 'day' } }]);
    const emails = result.output('Message the owner');
    expect(emails.map((item) => item.json)).toEqual([
      {
        fromEmail: 'scores@example.com',
        toEmail: 'grace@example.com',
        subject: 'Ada is going cold: 39.99 in Engagement',
        emailFormat: 'text',
        text: 'Ada (ada@example.com) went from 52.5 to 39.99, below 40.\nBand: Warm → Needs attention. What moved it: no contact for a while (the score decayed).\n\nSuggested next steps:\n- No contact for a month: schedule a call\n\nThe last 30 days of the score are attached.',
        options: { attachments: 'chart' },
      },
    ]);
    // The attachment is the chart as the service sends it: a PNG, named.
    const chart = attached(emails[0], 'chart');
    expect({ mimeType: chart.mimeType, fileName: chart.fileName, signature: chart.bytes.subarray(0, 8) }).toEqual({
      mimeType: 'image/png',
      fileName: 'chart.png',
      signature: PNG_SIGNATURE,
    });
  });

  it('VIP going cold: a contact ID with URL characters reaches the chart route whole', async () => {
    const charts = serveChart('/v1/profiles/:id/scores/:contactId/chart', () => scoreHistorySvg({ title: 'x', points: [], bands: [] }));
    const event = {
      id: 'a1b2c3d4-0000-4000-8000-000000000002',
      type: 'score.dropped_below',
      occurredAt: '2026-07-04T14:18:21.695Z',
      profile: { id: PROFILE_ID, name: 'Engagement' },
      contact: { id: 'ada/lovelace?x=1#2', name: null, email: null, tags: ['vip'], ownerId: 'grace@example.com', accountId: null },
      score: 10,
      previousScore: 45,
      threshold: 40,
      direction: 'down',
      band: null,
      previousBand: null,
      cause: 'interaction',
      suggestions: [],
    };
    const result = await runWorkflow({
      ...prepared('vip-going-cold.json'),
      startNode: 'VIP score dropped below 40',
      items: [event],
      credentials,
    });
    expect(result.error).toBeUndefined();
    expect(charts.map((call) => call.params.contactId)).toEqual(['ada/lovelace?x=1#2']);
  });

  it('Record form submissions: upserts the contact, then records the submission with its own ID', async () => {
    const upserts = serve('put', '/v1/contacts/:contactId', ({ params, body }) => [
      201,
      contactAnswer(params.contactId, body as Record<string, unknown>),
    ]);
    const recorded = serve('post', '/v1/interactions', ({ body }) => [
      200,
      { accepted: (body as { interactions: unknown[] }).interactions.length, duplicates: 0, token: 'es1.7', scored: true },
    ]);
    const submission = {
      Email: ' Ada@Example.com ',
      Name: 'Ada Lovelace',
      Interest: 'Demo',
      Message: 'Call me',
      submittedAt: '2026-07-01T11:00:00.000+02:00',
      formMode: 'production',
    };
    const result = await runWorkflow({
      ...prepared('record-form-submissions.json'),
      startNode: 'On form submission',
      items: [submission],
      credentials,
    });
    expect(result.error).toBeUndefined();
    expect(upserts.map((call) => [call.params.contactId, call.body])).toEqual([
      ['ada@example.com', { email: 'Ada@Example.com', name: 'Ada Lovelace' }],
    ]);
    expect(recorded.map((call) => call.body)).toEqual([
      {
        interactions: [
          {
            contactId: 'ada@example.com',
            type: 'form_submission',
            id: 'form-ada@example.com-2026-07-01T11:00:00.000+02:00',
            channel: 'web',
            direction: 'inbound',
            occurredAt: '2026-07-01T09:00:00.000Z',
            properties: { interest: 'Demo', message: 'Call me' },
          },
        ],
      },
    ]);
  });

  it('Weekly network review: the review becomes an email with bands, risers, fallers and who needs attention', async () => {
    const calls = serve('get', '/v1/profiles/:id/insights', ({ params }) => [
      200,
      {
        profileId: params.id,
        version: 3,
        days: 7,
        from: '2026-06-24T08:00:00.000Z',
        to: '2026-07-01T08:00:00.000Z',
        contacts: 3,
        distribution: [
          { band: 'Cold', color: '#d64545', count: 1, previousCount: 0 },
          { band: 'Warm', color: '#e0a800', count: 2, previousCount: 3 },
        ],
        averageScore: 48.5,
        previousAverageScore: 52,
        averageDelta: -3.5,
        histogram: [
          { from: 30, to: 40, count: 1 },
          { from: 50, to: 60, count: 2 },
        ],
        risers: [{ contactId: 'crm-1', name: 'Bob', tags: [], score: 60, previousScore: 50, delta: 10, band: 'Warm' }],
        fallers: [{ contactId: 'crm-42', name: null, tags: ['vip'], score: 35, previousScore: 55, delta: -20, band: 'Cold' }],
        needsAttention: [
          {
            contactId: 'crm-42',
            name: null,
            tags: ['vip'],
            score: 35,
            previousScore: 55,
            delta: -20,
            band: 'Cold',
            reasons: ['score under 40 (Cold)'],
          },
        ],
      },
    ]);
    const charts = serveChart('/v1/profiles/:id/insights/chart', ({ query }) =>
      bandDistributionSvg({
        title: 'Engagement: contacts by band',
        days: Number(query.days),
        bars: [
          { band: 'Cold', color: '#d64545', count: 1, previousCount: 0 },
          { band: 'Warm', color: '#e0a800', count: 2, previousCount: 3 },
        ],
      }),
    );
    const result = await runWorkflow({
      ...prepared('weekly-network-review.json'),
      startNode: 'Every Monday at 8:00',
      items: [{}],
      credentials,
    });
    expect(result.error).toBeUndefined();
    expect(calls.map((call) => [call.params.id, call.query])).toEqual([[PROFILE_ID, { days: '7', limit: '5' }]]);
    // The chart of the same period, fetched as a PNG with the same account, goes with the email.
    expect(charts).toEqual([{ params: { id: PROFILE_ID }, query: { days: '7', format: 'png' } }]);
    const [item] = result.output('Email the review');
    const chart = attached(item, 'chart');
    expect({ mimeType: chart.mimeType, fileName: chart.fileName, signature: chart.bytes.subarray(0, 8) }).toEqual({
      mimeType: 'image/png',
      fileName: 'chart.png',
      signature: PNG_SIGNATURE,
    });
    expect([chart.bytes.readUInt32BE(16), chart.bytes.readUInt32BE(20)]).toEqual([720, 400]);
    const email = item.json;
    expect(email.options).toEqual({ attachments: 'chart' });
    expect(email).toMatchObject({ toEmail: 'team@example.com', subject: 'Network review: average 48.5 (-3.5 in 7 days)' });
    expect(email.text).toBe(
      [
        'Network review of 3 contacts, 2026-06-24 to 2026-07-01.',
        '',
        'Bands (now, 7 days ago):',
        '- Cold: 1 (0)',
        '- Warm: 2 (3)',
        '',
        'Rising:',
        '- Bob: 50 → 60',
        '',
        'Falling:',
        '- crm-42: 55 → 35',
        '',
        'Needs attention:',
        '- crm-42 (35): score under 40 (Cold)',
        '',
        'The chart of the bands is attached.',
      ].join('\n'),
    );
  });
});
