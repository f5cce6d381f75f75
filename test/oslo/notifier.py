#!/usr/bin/python3
"""An oslo.messaging Notifier emitting notifications at a rate.

  /usr/bin/python3 notifier.py --transport-url rabbit://u:p@127.0.0.1:5672/ \
      --binary nova-compute --control-exchange nova --topic notifications \
      --publisher-id compute.cmp-a --rate 1 [--priority info]

Sends with driver `messagingv2` (envelope 2.0) to `<topic>.<priority>` on the control
exchange; oslo declares that queue if it is missing (impl_rabbit.py
_publish_and_creates_default_queue), so notifications wait for a listener.
"""

import threading

import common


def main():
    p = common.base_parser('oslo.messaging notifier fixture')
    p.add_argument('--topic', default='notifications')
    p.add_argument('--publisher-id', default='compute.host')
    p.add_argument('--rate', type=float, default=1.0, help='notifications per second')
    p.add_argument('--priority', default='info', choices=['audit', 'debug', 'info', 'warn', 'error', 'critical', 'sample'])
    p.add_argument('--event-type', default='compute.instance.update')
    args = p.parse_args()
    conf = common.setup(args)

    import oslo_messaging

    transport = oslo_messaging.get_notification_transport(conf)
    notifier = oslo_messaging.Notifier(transport, publisher_id=args.publisher_id,
                                       driver='messagingv2', topics=[args.topic])
    send = getattr(notifier, args.priority)
    stop = threading.Event()
    sent = {'n': 0, 'errors': 0}

    def loop():
        while not stop.is_set():
            try:
                send({}, args.event_type, {'n': sent['n']})
                sent['n'] += 1
            except Exception:
                sent['errors'] += 1
            stop.wait(1.0 / args.rate)

    threading.Thread(target=loop, daemon=True).start()
    common.emit('ready', binary=args.binary, topic=args.topic, priority=args.priority)

    def report():
        while not stop.wait(1.0):
            common.emit('stats', sent=sent['n'], errors=sent['errors'])

    threading.Thread(target=report, daemon=True).start()

    def shutdown():
        stop.set()
        transport.cleanup()

    common.run_until_signalled(shutdown)


if __name__ == '__main__':
    main()
