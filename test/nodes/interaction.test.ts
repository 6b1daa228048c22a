import { credentials, mockTheService, problem, serve } from './contract';
import { runAction } from './harness';

/**
 * Interaction → Record: every input item becomes one interaction, sent in batches of up to 1,000
 * (never one request per item); refused interactions are traced back to their input items.
 */

type Interaction = { id?: string; contactId: string; type: string; occurredAt?: string; properties?: Record<string, unknown> };

const record = (extra: Record<string, unknown> = {}) => ({
  resource: 'interaction',
  operation: 'record',
  contactId: '={{ $json.contact }}',
  interactionType: '={{ $json.type }}',
  additionalFields: { id: '={{ $json.event }}' },
  ...extra,
});

const submissions = (count: number) =>
  Array.from({ length: count }, (_, index) => ({ contact: `crm-${index % 7}`, type: 'form_submission', event: `evt-${index}` }));

const continueOnFail = { onError: 'continueRegularOutput' as const };

/** Answers like the service: duplicates are ids already seen; `refuse` names invalid positions the way its validation does. */
function serveInteractions(refuse: (interaction: Interaction) => string | undefined = () => undefined) {
  const seen = new Set<string>();
  return serve('post', '/v1/interactions', ({ body, query }) => {
    const interactions = (body as { interactions: Interaction[] }).interactions;
    const errors = interactions.flatMap((interaction, index) => {
      const message = refuse(interaction);
      return message ? [{ path: `interactions.${index}.occurredAt`, message }] : [];
    });
    if (errors.length > 0) return problem(400, `Invalid request body: ${errors.length} problem(s), see errors.`, errors);
    const duplicates = interactions.filter((interaction) => interaction.id && seen.has(interaction.id)).length;
    for (const interaction of interactions) if (interaction.id) seen.add(interaction.id);
    return [
      200,
      { accepted: interactions.length - duplicates, duplicates, token: 'es1.7', ...(query.wait === 'true' ? { scored: true } : {}) },
    ];
  });
}

const batchSizes = (calls: Array<{ body: unknown }>) => calls.map((call) => (call.body as { interactions: unknown[] }).interactions.length);

mockTheService();

describe('batching', () => {
  it('sends 2,500 items in three requests of at most 1,000, each item paired with its output', async () => {
    const calls = serveInteractions();
    const items = submissions(2500);
    const result = await runAction(record(), { credentials, items });
    expect(result.error).toBeUndefined();
    expect(batchSizes(calls)).toEqual([1000, 1000, 500]);
    // Waits until they are scored by default, so a Get Score right after sees them.
    expect(calls.map((call) => call.query.wait)).toEqual(['true', 'true', 'true']);
    const sent = calls.flatMap((call) => (call.body as { interactions: Interaction[] }).interactions);
    expect(sent.map((interaction) => interaction.id)).toEqual(items.map((item) => item.event));
    expect(sent[8]).toEqual({ contactId: 'crm-1', type: 'form_submission', id: 'evt-8' });
    expect(result.items).toHaveLength(2500);
    expect(
      result.items.every((item, index) => (item.pairedItem as { item: number }).item === index && item.json.id === `evt-${index}`),
    ).toBe(true);
    expect(result.items[0].json.batch).toEqual({ size: 1000, accepted: 1000, duplicates: 0, token: 'es1.7', scored: true });
    expect(result.items[2499].json.batch).toEqual({ size: 500, accepted: 500, duplicates: 0, token: 'es1.7', scored: true });
  });

  it('does not wait for the scoring when asked not to', async () => {
    const calls = serveInteractions();
    const result = await runAction(record({ options: { waitUntilScored: false } }), { credentials, items: submissions(2) });
    expect(calls.map((call) => call.query.wait)).toEqual([undefined]);
    expect(result.items[0].json.batch).toEqual({ size: 2, accepted: 2, duplicates: 0, token: 'es1.7' });
  });

  it('takes a smaller batch size, and reports duplicates of a repeated run', async () => {
    const calls = serveInteractions();
    await runAction(record({ options: { batchSize: 2 } }), { credentials, items: submissions(5) });
    const again = await runAction(record({ options: { batchSize: 2 } }), { credentials, items: submissions(5) });
    expect(batchSizes(calls)).toEqual([2, 2, 1, 2, 2, 1]);
    expect(again.items.map((item) => item.json.batch)).toEqual([
      { size: 2, accepted: 0, duplicates: 2, token: 'es1.7', scored: true },
      { size: 2, accepted: 0, duplicates: 2, token: 'es1.7', scored: true },
      { size: 2, accepted: 0, duplicates: 2, token: 'es1.7', scored: true },
      { size: 2, accepted: 0, duplicates: 2, token: 'es1.7', scored: true },
      { size: 1, accepted: 0, duplicates: 1, token: 'es1.7', scored: true },
    ]);
  });

  it('sends every field of the interaction, dates with their time zone and properties as an object', async () => {
    const calls = serveInteractions();
    const result = await runAction(
      {
        resource: 'interaction',
        operation: 'record',
        contactId: 'crm-42',
        interactionType: 'meeting',
        additionalFields: {
          id: 'mtg-1',
          occurredAt: '2026-07-01T09:30:00',
          actorId: 'rep-7',
          channel: ' zoom ',
          direction: 'outbound',
          properties: '{ "minutes": 45, "topic": "renewal" }',
        },
      },
      { credentials, timezone: 'Europe/Berlin' },
    );
    expect(calls.map((call) => call.body)).toEqual([
      {
        interactions: [
          {
            contactId: 'crm-42',
            type: 'meeting',
            id: 'mtg-1',
            occurredAt: '2026-07-01T07:30:00.000Z',
            actorId: 'rep-7',
            channel: 'zoom',
            direction: 'outbound',
            properties: { minutes: 45, topic: 'renewal' },
          },
        ],
      },
    ]);
    expect(result.items[0].json).toMatchObject({ contactId: 'crm-42', type: 'meeting', properties: { minutes: 45, topic: 'renewal' } });
  });

  it('halves a batch the service finds too large, rather than failing it', async () => {
    const sizes: number[] = [];
    serve('post', '/v1/interactions', ({ body }) => {
      const { interactions } = body as { interactions: unknown[] };
      sizes.push(interactions.length);
      return interactions.length > 2
        ? problem(413, 'The request body is larger than the limit of 1024 bytes.')
        : [200, { accepted: interactions.length, duplicates: 0, token: 'es1.7', scored: true }];
    });
    const result = await runAction(record(), { credentials, items: submissions(5) });
    expect(result.error).toBeUndefined();
    expect(sizes).toEqual([5, 3, 2, 1, 2]);
    expect(result.items.map((item) => [item.json.id, (item.json.batch as { size: number }).size])).toEqual([
      ['evt-0', 2],
      ['evt-1', 2],
      ['evt-2', 1],
      ['evt-3', 2],
      ['evt-4', 2],
    ]);
  });
});

describe('refused interactions', () => {
  const inFuture = (interaction: Interaction) =>
    interaction.occurredAt?.startsWith('2999') ? 'more than 5 minutes in the future' : undefined;
  const items = [
    { contact: 'a', type: 'call', event: 'e0' },
    { contact: 'b', type: 'call', event: 'e1', at: '2999-01-01T00:00:00Z' },
    { contact: 'c', type: 'call', event: 'e2' },
    { contact: 'd', type: 'call', event: 'e3', at: '2999-01-01T00:00:00Z' },
  ];
  const withDates = record({ additionalFields: { id: '={{ $json.event }}', occurredAt: '={{ $json.at ?? "" }}' } });

  it('without Continue On Fail stop the node with the service’s explanation, naming each input item', async () => {
    const calls = serveInteractions(inFuture);
    const { error } = await runAction(withDates, { credentials, items });
    expect(calls).toHaveLength(1);
    expect(error).toMatchObject({
      name: 'NodeApiError',
      message: 'Invalid request body: 2 problem(s), see errors.',
      description:
        'Input item 1 (contact b), occurredAt: more than 5 minutes in the future\nInput item 3 (contact d), occurredAt: more than 5 minutes in the future',
      httpCode: '400',
      context: { itemIndex: 1 },
    });
  });

  it('after a recorded batch, say that the earlier batches went in', async () => {
    const calls = serveInteractions(inFuture);
    const onlyLastRefused = items.map((item, index) => (index === 3 ? item : { ...item, at: undefined }));
    const { error } = await runAction({ ...withDates, options: { batchSize: 2 } }, { credentials, items: onlyLastRefused });
    expect(batchSizes(calls)).toEqual([2, 2]);
    expect(error?.description).toBe(
      'Input item 3 (contact d), occurredAt: more than 5 minutes in the future\nThe batches before this one were recorded; interactions with an Interaction ID can be sent again safely.',
    );
  });

  it('with Continue On Fail become error items, and the rest of the batch is sent again and recorded', async () => {
    const calls = serveInteractions(inFuture);
    const result = await runAction(withDates, { credentials, items, settings: continueOnFail });
    expect(result.error).toBeUndefined();
    expect(batchSizes(calls)).toEqual([4, 2]);
    expect((calls[1].body as { interactions: Interaction[] }).interactions.map((interaction) => interaction.id)).toEqual(['e0', 'e2']);
    expect(result.items.map((item) => [item.pairedItem, item.json.id ?? null, item.json.error ?? null])).toEqual([
      [{ item: 0 }, 'e0', null],
      [{ item: 1 }, null, 'The service refused this interaction: occurredAt more than 5 minutes in the future'],
      [{ item: 2 }, 'e2', null],
      [{ item: 3 }, null, 'The service refused this interaction: occurredAt more than 5 minutes in the future'],
    ]);
    expect(result.items[1].json).toMatchObject({ httpCode: '400', description: 'occurredAt: more than 5 minutes in the future' });
    expect(result.items[0].json.batch).toEqual({ size: 2, accepted: 2, duplicates: 0, token: 'es1.7', scored: true });
  });

  it('with Continue On Fail an error about the whole request fails each item of that batch only', async () => {
    let call = 0;
    serve('post', '/v1/interactions', ({ body }) => {
      call += 1;
      const { interactions } = body as { interactions: unknown[] };
      return call === 2
        ? problem(429, 'More than 1000 requests per second with this API key; retry after a second.')
        : [200, { accepted: interactions.length, duplicates: 0, token: 'es1.7', scored: true }];
    });
    const result = await runAction(
      { ...record(), options: { batchSize: 2 } },
      { credentials, items: submissions(5), settings: continueOnFail },
    );
    expect(result.items.map((item) => [item.pairedItem, item.json.error ?? 'recorded', item.json.httpCode ?? null])).toEqual([
      [{ item: 0 }, 'recorded', null],
      [{ item: 1 }, 'recorded', null],
      [{ item: 2 }, 'More than 1000 requests per second with this API key; retry after a second.', '429'],
      [{ item: 3 }, 'More than 1000 requests per second with this API key; retry after a second.', '429'],
      [{ item: 4 }, 'recorded', null],
    ]);
  });

  it('items the node cannot read are refused before sending; with Continue On Fail the others still go', async () => {
    const calls = serveInteractions();
    const parameters = record({ additionalFields: { id: '={{ $json.event }}', properties: '={{ $json.props }}' } });
    const input = [
      { contact: 'a', type: 'call', event: 'e0', props: '{"ok": true}' },
      { contact: '', type: 'call', event: 'e1' },
      { contact: 'c', type: 'call', event: 'e2', props: '[1, 2]' },
      { contact: 'd', type: 'call', event: 'e3', props: 'not json' },
    ];
    const continued = await runAction(parameters, { credentials, items: input, settings: continueOnFail });
    const stopped = await runAction(parameters, { credentials, items: input });
    expect(batchSizes(calls)).toEqual([1]);
    expect(continued.items.map((item) => [item.pairedItem, item.json.error ?? item.json.id])).toEqual([
      [{ item: 0 }, 'e0'],
      [{ item: 1 }, 'Contact ID is empty'],
      [{ item: 2 }, 'Properties must be a JSON object'],
      [{ item: 3 }, 'Properties is not valid JSON'],
    ]);
    expect(stopped.error).toMatchObject({ message: 'Contact ID is empty', context: { itemIndex: 1 } });
  });
});
