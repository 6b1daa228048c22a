import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'engagement-score' },
    // API keys and webhook secrets never reach the logs.
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-engagement-signature"]',
        'req.headers["webhook-signature"]',
        '*.secret',
        '*.key',
      ],
      censor: '[redacted]',
    },
  });
}
