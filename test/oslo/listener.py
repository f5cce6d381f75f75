#!/usr/bin/python3
"""An oslo.messaging notification listener (what ceilometer-agent-notification runs).

  /usr/bin/python3 listener.py --transport-url rabbit://u:p@127.0.0.1:5672/ \
      --binary ceilometer-agent-notification --control-exchange nova \
      --topic notifications --exchanges nova,neutron [--priorities info]

Consumes `<topic>.<priority>` on each exchange given (ceilometer listens on every
service's control exchange); oslo declares the queue and binds it
(amqpdriver.py listen_for_notifications). Prints {"event": "stats", "received": n}.
"""

import common


def main():
    p = common.base_parser('oslo.messaging notification listener fixture')
    p.add_argument('--topic', default='notifications')
    p.add_argument('--exchanges', default='', help='comma-separated; default: the control exchange')
    p.add_argument('--priorities', default='info', help='comma-separated priorities to consume')
    args = p.parse_args()
    conf = common.setup(args)

    import threading
    import oslo_messaging

    received = {'n': 0}
    priorities = [x for x in args.priorities.split(',') if x]

    class Endpoint(object):
        pass

    def handler(ctxt, publisher_id, event_type, payload, metadata):
        received['n'] += 1
        return oslo_messaging.NotificationResult.HANDLED

    endpoint = Endpoint()
    for prio in priorities:
        setattr(endpoint, prio, handler)

    exchanges = [x for x in args.exchanges.split(',') if x] or [args.control_exchange]
    transport = oslo_messaging.get_notification_transport(conf)
    targets = [oslo_messaging.Target(topic=args.topic, exchange=ex) for ex in exchanges]
    listener = oslo_messaging.get_notification_listener(transport, targets, [endpoint], executor='threading')
    listener.start()
    common.emit('ready', binary=args.binary, topic=args.topic, exchanges=exchanges, priorities=priorities)

    stop = threading.Event()

    def report():
        while not stop.wait(1.0):
            common.emit('stats', received=received['n'])

    threading.Thread(target=report, daemon=True).start()

    def shutdown():
        stop.set()
        listener.stop()
        listener.wait()
        transport.cleanup()

    common.run_until_signalled(shutdown)


if __name__ == '__main__':
    main()
