import { createHmac } from 'node:crypto';
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Sending signed webhooks, and the policy on where they may go: http(s) only, and — unless
 * ALLOW_PRIVATE_WEBHOOK_TARGETS — never to loopback, private, link-local or otherwise internal
 * addresses (checked when a subscription is made and again on every connection, so a name that
 * later resolves to an internal address is still refused).
 */

/**
 * Only public unicast addresses may receive webhooks: ipaddr.js classifies every special-purpose range
 * (loopback, private, link-local, carrier-grade NAT, documentation, multicast, and the IPv6 forms that
 * carry an IPv4 address inside: IPv4-compatible, IPv4-mapped, NAT64, 6to4, Teredo, SIIT), and anything
 * but "unicast" is refused. An IPv4-mapped IPv6 address is judged by the IPv4 address it maps to.
 */
export function isInternalAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return true;
  let parsed: ipaddr.IPv4 | ipaddr.IPv6 = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    // ::a.b.c.d (IPv4-compatible, deprecated; a URL writes it ::7f00:1), which ipaddr.js calls unicast.
    if (v6.parts.slice(0, 6).every((part) => part === 0)) return true;
    if (v6.isIPv4MappedAddress()) parsed = v6.toIPv4Address();
  }
  return parsed.range() !== 'unicast';
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
  if (addresses.some(isInternalAddress))
    return `${host} is a loopback, private or internal address (set ALLOW_PRIVATE_WEBHOOK_TARGETS=true to allow it)`;
  return undefined;
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. */
export function signature(secret: string, body: string, unixSeconds: number): string {
  const digest = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${digest}`;
}

/**
 * The Standard Webhooks headers (standardwebhooks.com), for receivers that verify with an
 * off-the-shelf library: `webhook-signature` is `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`
 * keyed with the secret's bytes (the base64 after `whsec_`).
 */
export function standardWebhookHeaders(secret: string, id: string, body: string, unixSeconds: number): Record<string, string> {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  const digest = createHmac('sha256', key).update(`${id}.${unixSeconds}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(unixSeconds), 'webhook-signature': `v1,${digest}` };
}

export type SendResult = { status: number | null; error: string | null; ms: number };

function guardedLookup(allowPrivate: boolean): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses;
      const usable = allowPrivate ? list : list.filter((entry) => !isInternalAddress(entry.address));
      if (usable.length === 0)
        return callback(Object.assign(new Error(`${hostname} resolves to an internal address`), { code: 'EINTERNAL' }), '', 0);
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, usable);
      return callback(null, usable[0].address, usable[0].family);
    });
  };
}

export type WebhookRequest = {
  url: string;
  body: string;
  headers: Record<string, string>;
  /** The whole exchange — connecting, sending, the answer's status and body — must end within this. */
  timeoutMs: number;
  allowPrivate: boolean;
  /** Aborts the attempt (the service is stopping). */
  signal?: AbortSignal;
};

/** More of an answer's body than this is not read: only its status matters. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * One POST; never throws: the result says what the receiver answered or what went wrong. The timeout
 * is a deadline for the whole exchange, not an idle timeout, so a receiver that drips bytes cannot
 * hold a delivery slot for longer than it.
 */
export function postWebhook(request: WebhookRequest): Promise<SendResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    let settled = false;
    let status: number | null = null;
    let req: http.ClientRequest | undefined;
    const finish = (error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      request.signal?.removeEventListener('abort', onAbort);
      req?.destroy();
      resolve({ status, error, ms: Date.now() - started });
    };
    // An answer still arriving at the deadline does not count, whatever its status line said.
    const deadline = setTimeout(
      () =>
        finish(status === null ? `no answer within ${request.timeoutMs} ms` : `the answer did not complete within ${request.timeoutMs} ms`),
      request.timeoutMs,
    );
    const onAbort = () => finish('aborted: the service is stopping');
    if (request.signal?.aborted) return onAbort();
    request.signal?.addEventListener('abort', onAbort);
    let target: URL;
    try {
      target = new URL(request.url);
    } catch {
      return finish('invalid URL');
    }
    const host = target.hostname.replace(/^\[|\]$/g, '');
    if (!request.allowPrivate && net.isIP(host) && isInternalAddress(host)) return finish(`${host} is an internal address`);
    const client = target.protocol === 'https:' ? https : http;
    req = client.request(
      target,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(request.body), ...request.headers },
        lookup: guardedLookup(request.allowPrivate),
        // A fresh connection per attempt: no pooled socket outlives its deadline.
        agent: false,
      },
      (res) => {
        status = res.statusCode ?? null;
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_ANSWER_BYTES) finish(null);
        });
        res.on('end', () => finish(null));
        res.on('error', (error) => finish(error.message));
      },
    );
    req.on('error', (error) => finish(error.message));
    req.end(request.body);
  });
}
