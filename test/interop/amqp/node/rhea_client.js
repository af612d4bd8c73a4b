// The rhea (Node) side of the AMQP suite: one scenario per run, its outcome as one JSON line.
//   node rhea_client.js PORT roundtrip QUEUE       3 messages with properties, one back by a selector
//   node rhea_client.js PORT durable TOPIC RUN     a durable subscription kept across a detach
//   node rhea_client.js PORT drain QUEUE           credit 20 left unread, then one drain flow adding 20
'use strict';
const rhea = require('rhea');
const [port, scenario, address, run] = process.argv.slice(2);
const result = {};
function finish(conns) {
  for (const c of conns) c.close();
  console.log(JSON.stringify(result));
  setTimeout(() => process.exit(0), 200);
}
setTimeout(() => { result.error = 'timeout'; console.log(JSON.stringify(result)); process.exit(1); }, 20000);

function open(id) {
  const c = rhea.create_container({ id: id || undefined });
  return c.connect({ host: '127.0.0.1', port: Number(port), reconnect: false });
}

if (scenario === 'roundtrip') {
  const conn = open();
  const sender = conn.open_sender(address);
  sender.once('sendable', () => {
    for (let i = 0; i < 3; i++)
      sender.send({ body: 'rhea ' + i, application_properties: { k: i }, durable: true });
  });
  let accepted = 0;
  sender.on('accepted', () => {
    if (++accepted < 3) return;
    const rcv = conn.open_receiver({ source: { address: address, filter: rhea.filter.selector('k > 1') } });
    rcv.once('message', (ctx) => {
      result.selected = ctx.message.body;
      result.props = ctx.message.application_properties;
      result.echoedFilter = !!(rcv.remote.attach.source && rcv.remote.attach.source.filter);
      finish([conn]);
    });
  });
} else if (scenario === 'drain') {
  // the queue holds 30 messages of 1 MiB: 20 are sent at us while we do not read (the broker's
  // output backlog grows past its budget), then one flow with drain adds 20; we read again and
  // count what arrives before the broker says the drain is done (no other flow from us)
  const conn = open();
  const rcv = conn.open_receiver({ source: address, credit_window: 0, autoaccept: true });
  result.got = 0;
  rcv.on('message', () => { result.got++; });
  rcv.once('receiver_open', () => {
    rcv.add_credit(20);
    setTimeout(() => conn.socket.pause(), 100);
    setTimeout(() => { rcv.drain_credit(); rcv.add_credit(20); }, 1600);
    setTimeout(() => conn.socket.resume(), 2600);
  });
  rcv.once('receiver_drained', () => {
    result.drained = true;
    result.credit = rcv.credit;
    setTimeout(() => finish([conn]), 300);     // the acceptances go out
  });
} else if (scenario === 'durable') {
  const cid = 'rhea-durable-' + run;
  const conn = open(cid);
  const opts = { name: 'rsub', source: { address: address, durable: 2, expiry_policy: 'never' } };
  const rcv = conn.open_receiver(opts);
  rcv.once('receiver_open', () => {
    rcv.detach();                  // closed=false: the subscription stays
    rcv.once('receiver_close', () => {
      const p = open();
      const s = p.open_sender(address);
      s.once('sendable', () => { s.send({ body: 'kept', durable: true }); });
      s.once('accepted', () => {
        p.close();
        const again = conn.open_receiver(opts);
        again.once('message', (ctx) => {
          result.resumed = ctx.message.body;
          again.close();           // closed=true: unsubscribed
          again.once('receiver_close', () => finish([conn]));
        });
      });
    });
  });
} else {
  result.error = 'unknown scenario ' + scenario;
  finish([]);
}
