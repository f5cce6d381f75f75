// What a Snapshot cannot tell, so the alert state machine neither resolves nor forgets an
// alert whose subject is unknown now (src/rules/alerts.ts, StepOptions.unknown): a queue
// listed before its first statistics, a node listed without `running`, users that warren
// may not list. Rules judge only known values (knownQueues in ./helpers.ts, the user rules
// check Snapshot.users), so such a subject raises no finding either: it stays as it was.
import type { Snapshot } from '../snapshot/index.js';
import { queueKey } from '../snapshot/index.js';
import { statsKnown } from './helpers.js';
import type { Subject } from './types.js';

/** Rules that read the user list (null without the administrator tag). */
const USER_RULES: ReadonlySet<string> = new Set(['guest-user-enabled', 'administrator-user-in-use', 'unused-user']);

/** Whether `rule` cannot judge `subject` on this Snapshot: its alert is then held as it is. */
export type UnknownJudge = (rule: string, subject: Subject) => boolean;

export function unknownIn(s: Snapshot): UnknownJudge {
  const queues = new Set<string>();
  for (const q of s.queues) if (!statsKnown(q)) queues.add(queueKey(q));
  const nodes = new Set(s.nodes.filter((n) => n.running === null).map((n) => n.name));
  const usersUnknown = s.users === null;
  return (rule, subject) => {
    if (usersUnknown && USER_RULES.has(rule)) return true;
    if (subject.kind === 'queue') return queues.size > 0 && queues.has(queueKey({ vhost: subject.vhost ?? '/', name: subject.name }));
    if (subject.kind === 'node') return nodes.has(subject.name);
    return false;
  };
}
