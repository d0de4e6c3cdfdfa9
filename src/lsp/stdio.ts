import { createConnection } from 'vscode-languageserver/node.js';
import { startServer } from './server.js';

// `effnet lsp`: the server on stdin and stdout. stdout carries the protocol,
// so anything printed with console.log would corrupt it: console output goes
// to stderr, which editors show in the server's log.

export function serveStdio(): Promise<never> {
  console.log = console.info = console.debug = console.error;
  startServer(createConnection(process.stdin, process.stdout));
  // The connection ends the process: on the client's `exit`, or when stdin closes.
  return new Promise<never>(() => {});
}
