// Preload (`node --require`) that holds a process to loopback: every `net.Server#listen` that
// names no host (or all interfaces) listens on 127.0.0.1 instead. Used for the npm peers, which
// listen on all interfaces by default.
const net = require('node:net');

const listen = net.Server.prototype.listen;
const anyHost = new Set([undefined, null, '', '0.0.0.0', '::']);
net.Server.prototype.listen = function listenOnLoopback(...args) {
  const [first] = args;
  if (first !== null && typeof first === 'object' && !('fd' in first) && !('path' in first)) {
    if (anyHost.has(first.host)) args[0] = { ...first, host: '127.0.0.1' };
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    if (typeof args[1] !== 'string' || anyHost.has(args[1])) {
      const rest = typeof args[1] === 'string' || args[1] == null ? args.slice(2) : args.slice(1);
      args.splice(0, args.length, first, '127.0.0.1', ...rest);
    }
  }
  return listen.apply(this, args);
};
