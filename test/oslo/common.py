"""Shared set-up for the oslo.messaging test fixtures (run with /usr/bin/python3).

Each fixture is one process that behaves like an OpenStack service towards the broker:
- the connection_name oslo sends is `<basename(argv[0])>:<pid>:<uuid>`
  (oslo_messaging/_drivers/impl_rabbit.py, Connection.__init__), so argv[0] is set to the
  service's binary (`--binary nova-compute`) before oslo is imported;
- `--source-ip 127.0.0.x` makes every AMQP socket connect from that loopback address, so
  the broker sees a distinct peer_host per simulated host. py-amqp 5.1.1 has no option for
  a source address (amqp/transport.py, _AbstractTransport._connect creates the socket and
  connects it directly), so the socket class py-amqp uses is replaced by one that binds
  first;
- `[DEFAULT] control_exchange` is the service's (nova, neutron, cinder, heat), and
  `[DEFAULT] rpc_ping_enabled` is set from `--ping`.

Every fixture logs to stderr and prints one JSON line per event to stdout
(`{"event": "ready", ...}`), flushed, for the harness to read.
"""

import argparse
import ctypes
import json
import logging
import os
import signal
import socket
import sys
import threading
import types


def base_parser(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument('--transport-url', required=True, help='rabbit://user:pass@127.0.0.1:5672/')
    p.add_argument('--binary', required=True, help='service binary, e.g. nova-compute (becomes argv[0])')
    p.add_argument('--source-ip', help='loopback address to connect from, e.g. 127.0.0.11')
    p.add_argument('--control-exchange', default='openstack', help='oslo [DEFAULT] control_exchange')
    p.add_argument('--heartbeat-timeout', type=int, default=60,
                   help='[oslo_messaging_rabbit] heartbeat_timeout_threshold (oslo default 60)')
    p.add_argument('--debug', action='store_true')
    return p


def emit(event, **fields):
    fields['event'] = event
    fields['pid'] = os.getpid()
    sys.stdout.write(json.dumps(fields, sort_keys=True) + '\n')
    sys.stdout.flush()


def _set_process_name(binary):
    # Visible in ps and /proc/<pid>/comm, as for a real service (best effort).
    try:
        libc = ctypes.CDLL(None)
        libc.prctl(15, binary.encode()[:15], 0, 0, 0)  # PR_SET_NAME
    except Exception:
        pass


def _bind_source_address(source_ip):
    import amqp.transport

    class BoundSocket(socket.socket):
        def connect(self, address):
            if self.family == socket.AF_INET:
                self.bind((source_ip, 0))
            return super().connect(address)

    shim = types.ModuleType('socket')
    shim.__dict__.update(socket.__dict__)
    shim.socket = BoundSocket
    amqp.transport.socket = shim


def setup(args, extra_opts=None):
    """Configure argv[0], logging, the source address and oslo.config; returns cfg.CONF."""
    sys.argv[0] = '/usr/bin/' + args.binary
    _set_process_name(args.binary)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.DEBUG if args.debug else logging.INFO,
        format='%(asctime)s %(process)d %(levelname)s %(name)s %(message)s',
    )
    if args.source_ip:
        _bind_source_address(args.source_ip)

    from oslo_config import cfg
    import oslo_messaging
    from oslo_messaging.rpc import dispatcher

    conf = cfg.CONF
    conf([], project=args.binary.split('-')[0], default_config_files=[])
    conf.register_opts(dispatcher._dispatcher_opts)
    from oslo_messaging import transport as oslo_transport
    conf.register_opts(oslo_transport._transport_opts)
    oslo_messaging.set_transport_defaults(args.control_exchange)
    conf.set_override('transport_url', args.transport_url)
    from oslo_messaging._drivers import impl_rabbit
    conf.register_opts(impl_rabbit.rabbit_opts, group='oslo_messaging_rabbit')
    conf.set_override('heartbeat_timeout_threshold', args.heartbeat_timeout, group='oslo_messaging_rabbit')
    return conf


def run_until_signalled(stop):
    """Block until SIGTERM or SIGINT, then call stop() and exit 0."""
    done = threading.Event()

    def handler(signum, frame):
        done.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    while not done.wait(1.0):
        pass
    try:
        stop()
    finally:
        emit('stopped')
        sys.stdout.flush()
        os._exit(0)
