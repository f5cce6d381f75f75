#!/usr/bin/env node
// warren's OpenStack traffic simulator, a development tool (not part of the `warren`
// command): `npm run sim -- --help`, or `node build/tools/sim/cli.js` once built.

import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { FAULT_NAMES, startSimulation, type Simulation } from './index.js';

const USAGE = `usage: npm run sim -- [options]   (or node build/tools/sim/cli.js [options])

Simulates an OpenStack cloud's oslo.messaging traffic on a RabbitMQ broker until
SIGINT/SIGTERM. Each host's connections come from its own loopback address.

  --amqp URL              broker (default env WARREN_SIM_AMQP_URL, else amqp://guest:guest@127.0.0.1:5672/)
  --vhost VHOST           vhost (default: the URL's, else /)
  --controllers A,B       controller hosts (default ctl-1,ctl-2)
  --networks A,B          network hosts (default net-1)
  --computes N|A,B        compute count or names (default 3: cmp-01..cmp-03)
  --rate R                RPC requests/s (default 2)
  --notification-rate R   notifications/s (default 1)
  --report-interval S     seconds between nova-compute state reports (default 10)
  --call-timeout S        rpc_response_timeout (default 60)
  --fault F               fault on from the start (repeatable):
                            ${FAULT_NAMES.join('\n                            ')}
  --orphans N             queues the orphans fault leaves (default 20)
  --flood N               connections the connection-flood fault opens (default 50)
  --cleanup               on exit, delete every queue and exchange the simulator declared
  --quiet                 no log lines

stdin commands while running: "on FAULT", "off FAULT", "faults", "stats", "quit".
On start it prints the openstack.hosts block for warren's config (peer address -> host).
`;

function csv(v: string | undefined): string[] | undefined {
  return v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function num(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name}: not a number: ${v}`);
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      amqp: { type: 'string' },
      vhost: { type: 'string' },
      controllers: { type: 'string' },
      networks: { type: 'string' },
      computes: { type: 'string' },
      rate: { type: 'string' },
      'notification-rate': { type: 'string' },
      'report-interval': { type: 'string' },
      'call-timeout': { type: 'string' },
      fault: { type: 'string', multiple: true },
      orphans: { type: 'string' },
      flood: { type: 'string' },
      cleanup: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const log = values.quiet ? () => undefined : (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const computesArg = values.computes;
  const computes = computesArg === undefined ? undefined : /^\d+$/.test(computesArg) ? Number(computesArg) : csv(computesArg);
  const reportS = num(values['report-interval'], 'report-interval');
  const timeoutS = num(values['call-timeout'], 'call-timeout');

  const sim: Simulation = await startSimulation({
    amqpUrl: values.amqp ?? process.env.WARREN_SIM_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/',
    vhost: values.vhost,
    controllers: csv(values.controllers),
    networks: csv(values.networks),
    computes,
    rpcRate: num(values.rate, 'rate'),
    notificationRate: num(values['notification-rate'], 'notification-rate'),
    reportIntervalMs: reportS === undefined ? undefined : reportS * 1000,
    callTimeoutMs: timeoutS === undefined ? undefined : timeoutS * 1000,
    orphanCount: num(values.orphans, 'orphans'),
    floodConnections: num(values.flood, 'flood'),
    faults: values.fault,
    log,
  });

  process.stdout.write('# warren config: map peer addresses to simulated hosts\nopenstack:\n  hosts:\n');
  for (const [host, addr] of Object.entries(sim.hostAddresses)) process.stdout.write(`    '${addr}': ${host}\n`);

  let exiting = false;
  const exit = async (): Promise<void> => {
    if (exiting) return;
    exiting = true;
    await sim.stop();
    if (values.cleanup) await sim.cleanup();
    process.exit(0);
  };
  process.on('SIGINT', () => void exit());
  process.on('SIGTERM', () => void exit());

  {
    const rl = createInterface({ input: process.stdin });
    rl.on('line', (line) => {
      const [cmd, arg] = line.trim().split(/\s+/);
      const reply = (s: string): void => void process.stdout.write(`${s}\n`);
      if (cmd === 'on' || cmd === 'off') {
        if (!arg) return reply('usage: on|off FAULT');
        sim.setFault(arg, cmd === 'on').then(
          () => reply(`ok ${cmd} ${arg}`),
          (e: unknown) => reply(`error: ${e instanceof Error ? e.message : String(e)}`),
        );
      } else if (cmd === 'faults') reply(sim.activeFaults().join(' ') || '(none)');
      else if (cmd === 'stats') reply(JSON.stringify(sim.stats()));
      else if (cmd === 'quit') void exit();
      else if (cmd) reply('commands: on FAULT | off FAULT | faults | stats | quit');
    });
    // stdin closing (e.g. </dev/null) does not stop the simulation: only signals and `quit` do.
  }
  return -1;
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e: unknown) => {
    process.stderr.write(`warren-sim: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  },
);
