import type { RequestHandler } from 'express';
import type { ReadCaches } from '../app/caches';
import type { KeyUsage } from '../app/key-usage';
import type { Db } from '../store/db';
import { lookupApiKey } from '../store/keys';
import { problem } from './problem';
import type { AuthenticatedRequest } from './route';

const challenge = { 'WWW-Authenticate': 'Bearer realm="engagement-score"' };

/** `Authorization: Bearer <key>`: a missing or unknown (or revoked) key is a 401. */
export function authenticate(db: Db, caches?: ReadCaches, usage?: KeyUsage): RequestHandler {
  return async (req, _res, next) => {
    try {
      const header = req.get('authorization');
      const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
      if (!match) {
        next(problem(401, 'Send an API key as "Authorization: Bearer <key>".', undefined, challenge));
        return;
      }
      const found = caches ? await caches.apiKey(match[1]) : await lookupApiKey(db, match[1]);
      if (!found) {
        next(problem(401, 'The API key is unknown or has been revoked.', undefined, challenge));
        return;
      }
      usage?.note(found.id);
      (req as AuthenticatedRequest).auth = {
        workspaceId: found.workspaceId,
        workspaceName: found.workspaceName,
        role: found.role,
        keyId: found.id,
        keyName: found.name,
      };
      next();
    } catch (error) {
      next(error);
    }
  };
}
