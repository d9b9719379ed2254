/*
 * Preloaded (`node --require`) into the server-everything process of the chain test: when
 * FEDMCP_OBSERVE_FILE is set, appends one line per `notifications/cancelled` it reads on stdin,
 * so the test can prove a cancellation at the first hub reached the server behind the last one.
 */
const fs = require('node:fs');

const observeFile = process.env.FEDMCP_OBSERVE_FILE;
if (observeFile) {
  const stdinEmit = process.stdin.emit;
  process.stdin.emit = function emit(event, ...args) {
    if (event === 'data') {
      const text = Buffer.isBuffer(args[0]) ? args[0].toString('utf8') : String(args[0]);
      for (const line of text.split('\n')) {
        if (line.includes('notifications/cancelled')) fs.appendFileSync(observeFile, `${line}\n`);
      }
    }
    return stdinEmit.call(this, event, ...args);
  };
}
