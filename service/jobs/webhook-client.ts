import { createHmac } from 'node:crypto';
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

/**
 * Sending signed webhooks, and the policy on where they may go: http(s) only, and — unless
 * ALLOW_PRIVATE_WEBHOOK_TARGETS — never to loopback, private, link-local or otherwise internal
 * addresses (checked when a subscription is made and again on every connection, so a name that
 * later resolves to an internal address is still refused).
 */

const internal = new net.BlockList();
for (const [address, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  internal.addSubnet(address, prefix, 'ipv4');
}
for (const [address, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  internal.addSubnet(address, prefix, 'ipv6');
}

export function isInternalAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 4) return internal.check(address, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return internal.check(mapped[1]!, 'ipv4');
    return internal.check(address, 'ipv6');
  }
  return true;
}

/** Why a URL may not receive webhooks, or undefined when it may. */
export async function refuseTarget(url: string, allowPrivate: boolean): Promise<string | undefined> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a valid URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'only http and https URLs can receive webhooks';
  if (parsed.username || parsed.password) return 'credentials in the URL are not allowed';
  if (allowPrivate) return undefined;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = net.isIP(host) ? [host] : (await dns.promises.lookup(host, { all: true })).map((entry) => entry.address);
  } catch {
    return `the host ${host} does not resolve`;
  }
  if (addresses.some(isInternalAddress)) return `${host} is a loopback, private or internal address (set ALLOW_PRIVATE_WEBHOOK_TARGETS=true to allow it)`;
  return undefined;
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. */
export function signature(secret: string, body: string, unixSeconds: number): string {
  const digest = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${digest}`;
}

export type SendResult = { status: number | null; error: string | null; ms: number };

function guardedLookup(allowPrivate: boolean): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as dns.LookupAddress[];
      const usable = allowPrivate ? list : list.filter((entry) => !isInternalAddress(entry.address));
      if (usable.length === 0) return callback(Object.assign(new Error(`${hostname} resolves to an internal address`), { code: 'EINTERNAL' }), '', 0);
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, usable);
      return callback(null, usable[0]!.address, usable[0]!.family);
    });
  };
}

export type WebhookRequest = { url: string; body: string; headers: Record<string, string>; timeoutMs: number; allowPrivate: boolean };

/** One POST; never throws: the result says what the receiver answered or what went wrong. */
export function postWebhook(request: WebhookRequest): Promise<SendResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (status: number | null, error: string | null) => {
      if (settled) return;
      settled = true;
      resolve({ status, error, ms: Date.now() - started });
    };
    let target: URL;
    try {
      target = new URL(request.url);
    } catch {
      finish(null, 'invalid URL');
      return;
    }
    const host = target.hostname.replace(/^\[|\]$/g, '');
    if (!request.allowPrivate && net.isIP(host) && isInternalAddress(host)) {
      finish(null, `${host} is an internal address`);
      return;
    }
    const client = target.protocol === 'https:' ? https : http;
    const req = client.request(
      target,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(request.body), ...request.headers },
        lookup: guardedLookup(request.allowPrivate),
        timeout: request.timeoutMs,
      },
      (res) => {
        // Read (and drop) at most a little of the answer, so the connection can be reused or closed.
        res.on('data', () => undefined);
        res.on('end', () => finish(res.statusCode ?? null, null));
        res.on('error', (error) => finish(res.statusCode ?? null, error.message));
      },
    );
    req.on('timeout', () => {
      req.destroy(new Error(`no answer within ${request.timeoutMs} ms`));
    });
    req.on('error', (error) => finish(null, error.message));
    req.end(request.body);
  });
}
