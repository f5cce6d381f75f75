#!/usr/bin/python3
"""An oslo.messaging RPC client that keeps calling and/or casting one topic.

  /usr/bin/python3 rpc_client.py --transport-url rabbit://u:p@127.0.0.1:5672/ \
      --binary nova-api --control-exchange nova --topic conductor \
      --call-rate 2 --cast-rate 0 --timeout 10 [--server ctl-1]

Calls `work(n=i)` with RPCClient(...).prepare(timeout=--timeout).call, as nova-api calls
conductor; a call that gets no answer raises MessagingTimeout after --timeout seconds (and
oslo sets the request's AMQP expiration to the same value: impl_rabbit.py _publish).
Prints a JSON line per second: {"event": "stats", "calls": n, "ok": n, "timeouts": n, ...}.
"""

import threading
import time

import common


def main():
    p = common.base_parser('oslo.messaging RPC client fixture')
    p.add_argument('--topic', required=True)
    p.add_argument('--server', help='call <topic>.<server> instead of the shared topic')
    p.add_argument('--method', default='work')
    p.add_argument('--call-rate', type=float, default=1.0, help='calls per second (0: none)')
    p.add_argument('--cast-rate', type=float, default=0.0, help='casts per second (0: none)')
    p.add_argument('--timeout', type=float, default=10.0, help='call timeout in seconds')
    p.add_argument('--concurrency', type=int, default=4, help='calls in flight at most')
    args = p.parse_args()
    conf = common.setup(args)

    import oslo_messaging

    transport = oslo_messaging.get_rpc_transport(conf)
    target = oslo_messaging.Target(topic=args.topic, server=args.server)
    client = oslo_messaging.RPCClient(transport, target)
    caller = client.prepare(timeout=args.timeout)
    stats = {'calls': 0, 'ok': 0, 'timeouts': 0, 'errors': 0, 'casts': 0, 'cast_errors': 0}
    lock = threading.Lock()
    stop = threading.Event()
    slots = threading.Semaphore(args.concurrency)

    def count(key):
        with lock:
            stats[key] += 1

    def one_call(i):
        try:
            caller.call({}, args.method, n=i)
            count('ok')
        except oslo_messaging.MessagingTimeout:
            count('timeouts')
        except Exception:
            count('errors')
        finally:
            slots.release()

    def call_loop():
        i = 0
        while not stop.is_set():
            slots.acquire()
            if stop.is_set():
                break
            i += 1
            count('calls')
            threading.Thread(target=one_call, args=(i,), daemon=True).start()
            stop.wait(1.0 / args.call_rate)

    def cast_loop():
        i = 0
        while not stop.is_set():
            i += 1
            try:
                client.cast({}, args.method, n=i)
                count('casts')
            except Exception:
                count('cast_errors')
            stop.wait(1.0 / args.cast_rate)

    threads = []
    if args.call_rate > 0:
        threads.append(threading.Thread(target=call_loop, daemon=True))
    if args.cast_rate > 0:
        threads.append(threading.Thread(target=cast_loop, daemon=True))
    for t in threads:
        t.start()
    common.emit('ready', binary=args.binary, topic=args.topic, server=args.server)

    def report():
        while not stop.wait(1.0):
            with lock:
                common.emit('stats', **stats)

    threading.Thread(target=report, daemon=True).start()

    def shutdown():
        stop.set()
        transport.cleanup()

    common.run_until_signalled(shutdown)


if __name__ == '__main__':
    main()
