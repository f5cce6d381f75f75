#!/usr/bin/python3
"""An oslo.messaging RPC server, as an OpenStack service runs one.

One process, one or more targets (a real heat-engine serves `engine.<host>`,
`heat-engine-listener.<engine_id>` and `engine_worker.<engine_id>` from one process):

  /usr/bin/python3 rpc_server.py --transport-url rabbit://u:p@127.0.0.1:5672/ \
      --binary nova-compute --control-exchange nova --source-ip 127.0.0.11 \
      --targets '[{"topic": "compute", "server": "cmp-a"}]' --ping

Each target is served as oslo does (rpc/server.py get_rpc_server with a Target of topic
and server): queues `<topic>` and `<topic>.<server>` on the control exchange, and a
`<topic>_fanout_<uuid>` queue. `--ping` sets `[DEFAULT] rpc_ping_enabled = true`, which
adds the `oslo_rpc_server_ping` endpoint (rpc/dispatcher.py, RPCDispatcher.__init__).

Endpoint methods: `work(n=0)` returns n (what the test client calls), `echo(value)`,
`sleep(seconds)` (a slow call).
"""

import json
import time

import common


class Endpoint(object):
    def __init__(self, target_version, served):
        import oslo_messaging
        self.target = oslo_messaging.Target(version=target_version)
        self.served = served
        self.calls = 0

    def work(self, ctxt, n=0):
        self.calls += 1
        return n

    def echo(self, ctxt, value=None):
        return value

    def sleep(self, ctxt, seconds=1):
        time.sleep(float(seconds))
        return seconds


def main():
    p = common.base_parser('oslo.messaging RPC server fixture')
    p.add_argument('--targets', required=True,
                   help='JSON list of {"topic": ..., "server": ...}')
    p.add_argument('--ping', dest='ping', action='store_true', help='rpc_ping_enabled = true')
    p.add_argument('--no-ping', dest='ping', action='store_false')
    p.add_argument('--endpoint-version', default='1.0',
                   help="the endpoint Target's version (nova's compute API is 6.x)")
    p.set_defaults(ping=False)
    args = p.parse_args()
    conf = common.setup(args)
    conf.set_override('rpc_ping_enabled', args.ping)

    import oslo_messaging

    transport = oslo_messaging.get_rpc_transport(conf)
    targets = json.loads(args.targets)
    servers = []
    for t in targets:
        target = oslo_messaging.Target(topic=t['topic'], server=t['server'])
        endpoint = Endpoint(args.endpoint_version, t)
        server = oslo_messaging.get_rpc_server(transport, target, [endpoint], executor='threading')
        server.start()
        servers.append(server)
    common.emit('ready', binary=args.binary, targets=targets, exchange=args.control_exchange, ping=args.ping)

    def stop():
        for s in servers:
            s.stop()
        for s in servers:
            s.wait()
        transport.cleanup()

    common.run_until_signalled(stop)


if __name__ == '__main__':
    main()
