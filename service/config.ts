import net from 'node:net';
import path from 'node:path';
import { z } from 'zod/v4';

/** Where the package lives (the folder holding package.json), whether run from `dist/` or from sources. */
export const packageRoot = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? '../..' : '..');

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((value) => value === 'true' || value === '1' || value === 'yes');

const BYTE_UNITS = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 } as const;

/** `16mb`, `512kb`, `1048576`: from 1 kb to 1 gb. */
const byteSize = z.string().transform((value, context) => {
  const match = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(value.trim());
  const bytes = match ? Math.round(Number(match[1]) * BYTE_UNITS[(match[2]?.toLowerCase() ?? 'b') as keyof typeof BYTE_UNITS]) : NaN;
  if (!match) context.addIssue({ code: 'custom', message: `"${value}" is not a size such as 16mb, 512kb or 1048576` });
  else if (bytes < 1024 || bytes > BYTE_UNITS.gb) context.addIssue({ code: 'custom', message: `${value} is outside 1kb–1gb` });
  return bytes;
});

/** An address or a host name to listen on: what server.listen accepts, refused here before it fails obscurely. */
const listenHost = z
  .string()
  .trim()
  .refine(
    (value) =>
      net.isIP(value.replace(/^\[|\]$/g, '')) !== 0 ||
      /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(value),
    {
      message: 'an IP address (127.0.0.1, 0.0.0.0, ::) or a host name (localhost)',
    },
  )
  .transform((value) => value.replace(/^\[|\]$/g, ''));

/** Defaults that code outside the configuration uses too (tests build dispatchers without a Config). */
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;
export const DEFAULT_WEBHOOK_RETRY_HOURS = 24;
export const DEFAULT_RETENTION_DAYS = 30;

const environmentSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: listenHost.default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'a postgres:// connection URL')
    .optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(10),
  DATA_DIR: z.string().min(1).default('.data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BODY_LIMIT: byteSize.default(16 * 1024 * 1024),
  ADMIN_API_KEY: z.string().min(32, 'at least 32 characters').optional(),
  DEFAULT_WORKSPACE_NAME: z.string().min(1).max(200).default('default'),
  RATE_LIMIT_PER_SECOND: z.coerce.number().int().min(0).default(1000),
  RUN_WORKERS: bool.default(true),
  PUBLIC_URL: z.url().optional(),
  ALLOW_PRIVATE_WEBHOOK_TARGETS: bool.default(false),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(DEFAULT_WEBHOOK_TIMEOUT_MS),
  WEBHOOK_RETRY_HOURS: z.coerce
    .number()
    .min(24)
    .max(24 * 30)
    .default(DEFAULT_WEBHOOK_RETRY_HOURS),
  SCORING_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(250),
  SCORING_WORKERS: z.coerce.number().int().min(0).max(16).default(2),
  CONSISTENCY_TIMEOUT_MS: z.coerce.number().int().min(0).max(120_000).default(10_000),
  WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(64),
  RETENTION_DAYS: z.coerce.number().min(1).max(3650).default(DEFAULT_RETENTION_DAYS),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
});

export type Config = {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  databasePoolSize: number;
  dataDir: string;
  logLevel: z.infer<typeof environmentSchema>['LOG_LEVEL'];
  bodyLimitBytes: number;
  adminApiKey: string | undefined;
  defaultWorkspaceName: string;
  rateLimitPerSecond: number;
  runWorkers: boolean;
  publicUrl: string | undefined;
  allowPrivateWebhookTargets: boolean;
  webhookTimeoutMs: number;
  webhookRetryHours: number;
  scoringPollMs: number;
  scoringWorkers: number;
  consistencyTimeoutMs: number;
  webhookConcurrency: number;
  retentionDays: number;
  shutdownTimeoutMs: number;
};

export class ConfigError extends Error {}

/** Reads and validates the environment; a wrong value names the variable. */
export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(
    Object.keys(environmentSchema.shape)
      .filter((name) => environment[name] !== undefined && environment[name] !== '')
      .map((name) => [name, environment[name]]),
  );
  const parsed = environmentSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const env = parsed.data;
  return {
    port: env.PORT,
    host: env.HOST,
    databaseUrl: env.DATABASE_URL,
    databasePoolSize: env.DATABASE_POOL_SIZE,
    dataDir: path.resolve(packageRoot, env.DATA_DIR),
    logLevel: env.LOG_LEVEL,
    bodyLimitBytes: env.BODY_LIMIT,
    adminApiKey: env.ADMIN_API_KEY,
    defaultWorkspaceName: env.DEFAULT_WORKSPACE_NAME,
    rateLimitPerSecond: env.RATE_LIMIT_PER_SECOND,
    runWorkers: env.RUN_WORKERS,
    publicUrl: env.PUBLIC_URL,
    allowPrivateWebhookTargets: env.ALLOW_PRIVATE_WEBHOOK_TARGETS,
    webhookTimeoutMs: env.WEBHOOK_TIMEOUT_MS,
    webhookRetryHours: env.WEBHOOK_RETRY_HOURS,
    scoringPollMs: env.SCORING_POLL_MS,
    scoringWorkers: env.SCORING_WORKERS,
    consistencyTimeoutMs: env.CONSISTENCY_TIMEOUT_MS,
    webhookConcurrency: env.WEBHOOK_CONCURRENCY,
    retentionDays: env.RETENTION_DAYS,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
  };
}
