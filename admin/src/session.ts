import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Me, Role } from './types';

/** Who is signed in: the key's workspace and role. The UI follows the role. */
export type Session = {
  me: Me;
  /** writer or admin: may adjust scores. */
  canWrite: boolean;
  /** admin: may edit, publish, restore, manage subscriptions. */
  canAdmin: boolean;
  signOut: (message?: string) => void;
};

// An automation key (n8n) reads here like a reader: the console has no use for its other rights.
const rank: Record<Role, number> = { reader: 1, automation: 1, writer: 2, admin: 3 };

export function sessionOf(me: Me, signOut: Session['signOut']): Session {
  return { me, canWrite: rank[me.role] >= rank.writer, canAdmin: me.role === 'admin', signOut };
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}

export const article = (role: Role) => (role === 'admin' || role === 'automation' ? `an ${role}` : `a ${role}`);
