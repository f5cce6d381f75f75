// A real three-node RabbitMQ cluster, one node per network namespace, for partition and
// node-down tests.
//
// Topology (slot S picked free at start, 10..249, so several clusters can coexist):
//   root ns: bridge wrnb<S> 10.213.<S>.1/24
//   ns wrn<S>n<k> (k = 1..3): eth0 10.213.<S>.1<k>/24, veth wrn<S>v<k> on the bridge, lo up
//   node rabbit@10.213.<S>.1<k> (long names), each with its own epmd inside its namespace.
// Every node listens on its namespace address with the standard ports (5672, 15672,
// 15692, dist 25672): namespaces do not share ports. The root namespace reaches every
// node through the bridge, so management URLs and rabbitmqctl work from the tests.
//
// partition(i) installs blackhole routes between node i and its peers (inside the
// namespaces only), leaving the bridge address reachable; with net_ticktime 10 the
// nodes see each other down after ~10-13 s, and with cluster_partition_handling = ignore
// the partition is reported in /api/nodes[].partitions once the link is healed.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { createNode, newCookie, type Broker, type ManagedBroker } from './broker.js';
import {
  IP,
  cleanupResourcesSync,
  ensureDeps,
  getJson,
  ipSync,
  makeTempDir,
  randomId,
  release,
  run,
  track,
  waitFor,
  type Resource,
} from './util.js';

export interface Cluster {
  /** nodes[0..2]; node i (0-based) is `rabbit@10.213.<S>.1<i+1>`. URLs are reachable from the root namespace. */
  nodes: Broker[];
  /** Node addresses, same order as nodes. */
  addresses: string[];
  /** Namespace names, same order as nodes (for `ip netns exec`). */
  namespaces: string[];
  /** The root-namespace bridge (address 10.213.<S>.1). */
  bridge: string;
  /** Cut node i off from both peers (the root namespace still reaches it). */
  partition(i: number): Promise<void>;
  /** Undo partition(i). */
  heal(i: number): Promise<void>;
  /** Stop node i gracefully (its data stays; peers then report it `running: false`). */
  stopNode(i: number): Promise<void>;
  /** Start node i again after stopNode(i); resolves when its management API answers. */
  startNode(i: number): Promise<void>;
  /** Kill every node, epmd, namespace, veth, the bridge and the temp dirs. Idempotent. */
  stop(): Promise<void>;
}

export interface StartClusterOptions {
  /** Readable label for temp dirs. */
  name?: string;
  /** Administrator to create instead of guest/guest. */
  adminUser?: { user: string; password: string };
  /** Extra rabbitmq.conf lines for every node. */
  extraConfig?: string[];
}

const NODE_COUNT = 3;
const NET_TICKTIME = 10;

interface MgmtNode {
  name: string;
  running: boolean;
  partitions?: string[];
}

function ipInNs(ns: string, args: string[]): string {
  return ipSync(['netns', 'exec', ns, IP, ...args]);
}

/** Claim a free 10.213.<slot>.0/24 by creating its bridge (creation fails if taken). */
function claimSlot(): { slot: number; bridge: string; handle: string } {
  const inUse = ipSync(['-o', '-4', 'addr', 'show']) + ipSync(['-4', 'route', 'show', 'table', 'all']);
  const candidates = Array.from({ length: 240 }, (_, k) => 10 + k).sort(() => Math.random() - 0.5);
  for (const slot of candidates) {
    if (inUse.includes(`10.213.${slot}.`)) continue;
    const bridge = `wrnb${slot}`;
    try {
      ipSync(['link', 'add', bridge, 'type', 'bridge']);
    } catch {
      continue; // exists: another cluster (or a leftover) owns this slot
    }
    const handle = track({ kind: 'link', name: bridge });
    return { slot, bridge, handle };
  }
  throw new Error('no free 10.213.x.0/24 slot for a test cluster');
}

export async function startCluster(opts: StartClusterOptions = {}): Promise<Cluster> {
  ensureDeps();
  const handles: string[] = [];
  const resources: Resource[] = [];
  const remember = (r: Resource): void => {
    handles.push(track(r));
    resources.push(r);
  };
  const nodes: ManagedBroker[] = [];
  const addresses: string[] = [];
  const namespaces: string[] = [];

  const { slot, bridge, handle: bridgeHandle } = claimSlot();
  handles.push(bridgeHandle);
  resources.push({ kind: 'link', name: bridge });
  const label = `cluster-${opts.name ?? 'c'}-${randomId(2)}`;
  const baseDir = makeTempDir(label);
  remember({ kind: 'dir', path: baseDir });
  let stopped = false;

  async function stop(): Promise<void> {
    if (stopped) return;
    stopped = true;
    await Promise.all(nodes.map((n) => n.halt({ kill: true }).catch(() => undefined)));
    for (const n of nodes) await n.stop().catch(() => undefined);
    cleanupResourcesSync(resources); // namespaces (and their epmd), bridge, dirs
    for (const h of handles) release(h);
  }

  try {
    ipSync(['addr', 'add', `10.213.${slot}.1/24`, 'dev', bridge]);
    ipSync(['link', 'set', bridge, 'up']);

    for (let k = 1; k <= NODE_COUNT; k++) {
      const ns = `wrn${slot}n${k}`;
      const hostVeth = `wrn${slot}v${k}`;
      const nsVeth = `wrn${slot}p${k}`;
      const addr = `10.213.${slot}.1${k}`;
      ipSync(['netns', 'add', ns]);
      remember({ kind: 'netns', name: ns });
      ipInNs(ns, ['link', 'set', 'lo', 'up']); // epmd and local traffic
      ipSync(['link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', nsVeth]);
      remember({ kind: 'link', name: hostVeth });
      ipSync(['link', 'set', nsVeth, 'netns', ns]);
      ipInNs(ns, ['link', 'set', nsVeth, 'name', 'eth0']);
      ipInNs(ns, ['addr', 'add', `${addr}/24`, 'dev', 'eth0']);
      ipInNs(ns, ['link', 'set', 'eth0', 'up']);
      ipSync(['link', 'set', hostVeth, 'master', bridge]);
      ipSync(['link', 'set', hostVeth, 'up']);
      namespaces.push(ns);
      addresses.push(addr);
    }

    const cookie = newCookie();
    const user = opts.adminUser?.user ?? 'guest';
    const password = opts.adminUser?.password ?? 'guest';
    for (let k = 0; k < NODE_COUNT; k++) {
      const addr = addresses[k]!;
      const dir = path.join(baseDir, `node${k + 1}`);
      fs.mkdirSync(dir);
      nodes.push(
        createNode({
          nodeName: `rabbit@${addr}`,
          dir,
          host: addr,
          ports: { amqp: 5672, mgmt: 15672, prom: 15692, dist: 25672 },
          netns: namespaces[k]!,
          longnames: true,
          user,
          password,
          extraConfig: ['cluster_partition_handling = ignore', ...(opts.extraConfig ?? [])],
          advancedConfig: `[{kernel,[{net_ticktime,${NET_TICKTIME}}]}].`,
          cookie,
          readyTimeoutMs: 120_000,
        }),
      );
    }

    // Boot all three as standalone nodes, then join 2 and 3 to 1 one at a time.
    await Promise.all(nodes.map((n) => n.boot()));
    const first = nodes[0]!;
    for (const n of nodes.slice(1)) {
      await n.ctl('stop_app');
      await n.ctl('join_cluster', first.nodeName);
      await n.ctl('start_app');
    }
    await waitFor(
      async () => {
        const seen = await getJson<MgmtNode[]>(`${first.mgmtUrl}/api/nodes?columns=name,running`, { auth: first });
        return seen.length === NODE_COUNT && seen.every((s) => s.running);
      },
      { timeoutMs: 60_000, what: `${NODE_COUNT} running nodes in ${first.mgmtUrl}/api/nodes` },
    );
    // start_app returns before the rejoined nodes' management listeners are back.
    await Promise.all(nodes.map((n) => n.boot()));
  } catch (e) {
    await stop();
    throw e;
  }

  const check = (i: number): void => {
    if (!Number.isInteger(i) || i < 0 || i >= NODE_COUNT) throw new Error(`node index ${i} out of range 0..${NODE_COUNT - 1}`);
  };
  const peersOf = (i: number): number[] => [...Array(NODE_COUNT).keys()].filter((j) => j !== i);

  async function routes(i: number, verb: 'replace' | 'del'): Promise<void> {
    const ops: Promise<unknown>[] = [];
    for (const j of peersOf(i)) {
      ops.push(run(IP, ['netns', 'exec', namespaces[i]!, IP, 'route', verb, 'blackhole', `${addresses[j]}/32`]));
      ops.push(run(IP, ['netns', 'exec', namespaces[j]!, IP, 'route', verb, 'blackhole', `${addresses[i]}/32`]));
    }
    const results = await Promise.allSettled(ops);
    // Deleting a route that is not there fails: fine for heal().
    const failed = results.find((r) => r.status === 'rejected');
    if (verb === 'replace' && failed && failed.status === 'rejected') throw failed.reason;
  }

  return {
    nodes,
    addresses,
    namespaces,
    bridge,
    async partition(i: number): Promise<void> {
      check(i);
      await routes(i, 'replace');
    },
    async heal(i: number): Promise<void> {
      check(i);
      await routes(i, 'del');
    },
    async stopNode(i: number): Promise<void> {
      check(i);
      await nodes[i]!.halt();
    },
    async startNode(i: number): Promise<void> {
      check(i);
      await nodes[i]!.boot();
    },
    stop,
  };
}
