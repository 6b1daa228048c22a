import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import express from 'express';
import { packageRoot } from '../config';
import { problem, sendProblem } from './problem';

/**
 * The admin console (admin/, built by `npm run build` into dist/admin): static files under /admin/,
 * with a strict Content-Security-Policy — scripts and styles only from the service itself, no inline
 * script, no eval. CodeMirror writes its styles into <style> elements; those carry a nonce made per
 * page load, which the page reads from <meta name="csp-nonce">. The console talks to /v1 only.
 */

export const consoleDir = path.join(packageRoot, 'dist', 'admin');

const NONCE_PLACEHOLDER = '__CSP_NONCE__';

function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function consoleRouter(directory = consoleDir): express.Router {
  // Strict routing: without it express 5 matches /admin for /admin/ too, and the redirect below loops.
  const router = express.Router({ strict: true });
  router.get('/', (_req, res) => res.redirect(302, '/admin/'));
  router.get('/admin', (_req, res) => res.redirect(301, '/admin/'));
  let page: string | undefined;
  const servePage: express.RequestHandler = (_req, res) => {
    const file = path.join(directory, 'index.html');
    if (!page || process.env.NODE_ENV === 'development') {
      if (!existsSync(file)) {
        sendProblem(res, problem(503, 'The admin console has not been built: run `npm run build` (npm start does it too).'));
        return;
      }
      page = readFileSync(file, 'utf8');
    }
    const nonce = randomBytes(16).toString('base64');
    res
      .set({
        'Content-Security-Policy': contentSecurityPolicy(nonce),
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        'Cross-Origin-Opener-Policy': 'same-origin',
      })
      .type('html')
      .send(page.replaceAll(NONCE_PLACEHOLDER, nonce));
  };
  router.get('/admin/', servePage);
  router.use(
    '/admin/assets',
    express.static(path.join(directory, 'assets'), {
      index: false,
      fallthrough: false,
      // Asset names carry a hash of their content.
      immutable: true,
      maxAge: '365d',
      setHeaders: (res) => {
        res.setHeader('X-Content-Type-Options', 'nosniff');
        res.setHeader('Content-Security-Policy', "default-src 'none'");
      },
    }),
  );
  // The console routes in the browser (/admin/#/profiles/…): any other path under /admin/ is the page.
  router.get(/^\/admin\/(?!assets\/).+/, servePage);
  return router;
}
