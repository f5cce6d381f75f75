// Last-seen per user, for unused-user: when warren first saw each user and when it last
// saw one of its connections (or used it itself). Kept in the learned state, so it
// outlives restarts through the state file. Pure.
import type { Snapshot } from '../snapshot/index.js';
import type { UserSighting } from './types.js';

export function learnUsers(prev: Readonly<Record<string, UserSighting>> | undefined, snapshot: Snapshot): Record<string, UserSighting> | undefined {
  const sec = snapshot.security;
  // Without the user list (no administrator tag) there is nothing to judge; keep what was learned.
  if (!sec || sec.usersVisible !== true || !snapshot.users) return prev ? { ...prev } : undefined;
  const at = snapshot.takenAt;
  const inUse = new Set(snapshot.connections.map((c) => c.user));
  if (sec.self) inUse.add(sec.self);
  const next: Record<string, UserSighting> = {};
  // Users deleted from the broker are forgotten.
  for (const u of snapshot.users) {
    const p = prev?.[u.name];
    next[u.name] = { firstSeen: p?.firstSeen ?? at, lastSeen: inUse.has(u.name) ? at : (p?.lastSeen ?? null) };
  }
  return next;
}
