/** The benchmark's profiles: a points profile of 10 rules with decay and limits, and a relationship profile. */
const typeIs = (type: string) => ({ fact: 'interaction', path: '$.type', operator: 'equal', value: type });
const rule = (name: string, conditions: unknown[], points: number, limit?: { count: number; perDays: number }) => ({
  name,
  conditions: { all: conditions },
  event: { type: 'points', params: { points, ...(limit ? { limit } : {}) } },
});

export const pointsProfile = (points = 1) => ({
  name: 'Bench engagement',
  kind: 'points',
  rules: [
    rule('Email opened', [typeIs('email_open')], 1 * points, { count: 5, perDays: 1 }),
    rule('Email clicked', [typeIs('email_click')], 3 * points, { count: 5, perDays: 1 }),
    rule('Replied', [{ fact: 'interaction', path: '$.type', operator: 'in', value: ['email_reply', 'sms_reply'] }], 6 * points),
    rule('Inbound call', [typeIs('call'), { fact: 'interaction', path: '$.direction', operator: 'equal', value: 'inbound' }], 8 * points),
    rule('Meeting', [{ fact: 'interaction', path: '$.type', operator: 'in', value: ['meeting', 'appointment'] }], 10 * points),
    rule(
      'Long meeting',
      [typeIs('meeting'), { fact: 'interaction', path: '$.properties.minutes', operator: 'greaterThanInclusive', value: 45 }],
      5 * points,
    ),
    rule('Form submitted', [typeIs('form_submission')], 5 * points, { count: 3, perDays: 7 }),
    rule('Payment', [typeIs('payment')], 15 * points),
    rule(
      'Large payment',
      [typeIs('payment'), { fact: 'interaction', path: '$.properties.amount', operator: 'greaterThanInclusive', value: 1000 }],
      10 * points,
    ),
    rule(
      'VIP touch',
      [
        { fact: 'contact', path: '$.tags', operator: 'contains', value: 'vip' },
        { fact: 'interaction', path: '$.type', operator: 'notIn', value: ['email_open', 'note'] },
      ],
      2 * points,
    ),
  ],
  decay: { halfLifeDays: 30 },
  window: { days: 365 },
  range: { min: 0, max: 100 },
  bands: [
    { name: 'Needs attention', min: 0, max: 40, color: '#d64545' },
    { name: 'Warm', min: 40, max: 70, color: '#e0a800' },
    { name: 'Healthy', min: 70, max: 100, color: '#2e9d5b' },
  ],
});

export const relationshipProfile = () => ({
  name: 'Bench relationship',
  kind: 'relationship',
  rules: [
    {
      name: 'Email',
      conditions: { any: [{ fact: 'interaction', path: '$.channel', operator: 'equal', value: 'email' }] },
      event: { type: 'weight', params: { weight: 5 } },
    },
    { name: 'Call', conditions: { all: [typeIs('call')] }, event: { type: 'weight', params: { weight: 7 } } },
    {
      name: 'Meeting',
      conditions: { all: [{ fact: 'interaction', path: '$.type', operator: 'in', value: ['meeting', 'appointment'] }] },
      event: { type: 'weight', params: { weight: 10 } },
    },
  ],
  decay: { halfLifeDays: 30 },
  window: { days: 90 },
  saturation: 20,
  bands: [
    { name: 'Cold', min: 0, max: 25, color: '#6b7a90' },
    { name: 'Warm', min: 25, max: 60, color: '#e0a800' },
    { name: 'Strong', min: 60, max: 100, color: '#2e9d5b' },
  ],
});
