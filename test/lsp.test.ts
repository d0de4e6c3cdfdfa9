import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileSource } from '../src/compile/compile.js';
import { formatSpec } from '../src/format/format.js';

// `effnet lsp` spoken to as an editor does: a spawned process, JSON-RPC
// framed with Content-Length headers on its stdin and stdout (framed here by
// hand, so the test does not share the server's library).

const root = resolve(import.meta.dirname, '..');
const effnetSpec = readFileSync(join(root, 'specs/efficientnet.effnet'), 'utf8');

interface Message {
  id?: number;
  method?: string;
  params?: any;
  result?: any;
  error?: { message: string };
}

class Client {
  readonly proc: ChildProcessWithoutNullStreams;
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly pending = new Map<number, (m: Message) => void>();
  /** Every notification the server sent, with when it came. */
  readonly notifications: { message: Message; at: number }[] = [];
  private readonly listeners: (() => void)[] = [];
  stderr = '';

  constructor() {
    this.proc = spawn(process.execPath, [join(root, 'dist/src/cli/main.js'), 'lsp'], { cwd: root });
    this.proc.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.proc.stdout.on('data', (d: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, d]);
      this.drain();
    });
  }

  private drain(): void {
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/Content-Length: (\d+)/i.exec(this.buffer.subarray(0, end).toString('ascii'))![1]);
      if (this.buffer.length < end + 4 + length) return;
      const message = JSON.parse(this.buffer.subarray(end + 4, end + 4 + length).toString('utf8')) as Message;
      this.buffer = this.buffer.subarray(end + 4 + length);
      if (message.id !== undefined && message.method === undefined) this.pending.get(message.id)?.(message);
      else this.notifications.push({ message, at: performance.now() });
      for (const l of this.listeners.splice(0)) l();
    }
  }

  private send(m: object): void {
    const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...m }), 'utf8');
    this.proc.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.proc.stdin.write(body);
  }

  request(method: string, params: unknown): Promise<any> {
    const id = this.nextId++;
    return new Promise((done, fail) => {
      this.pending.set(id, (m) => (m.error ? fail(new Error(m.error.message)) : done(m.result)));
      this.send({ id, method, params });
    });
  }

  notify(method: string, params: unknown): void {
    this.send({ method, params });
  }

  /** The next notification after index `from` that satisfies `test`. */
  async next(from: number, test: (m: Message) => boolean, timeoutMs = 10_000): Promise<{ message: Message; at: number; index: number }> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const index = this.notifications.findIndex((n, i) => i >= from && test(n.message));
      if (index >= 0) return { ...this.notifications[index]!, index };
      if (performance.now() > deadline) throw new Error(`no matching notification; stderr: ${this.stderr}`);
      await new Promise<void>((r) => {
        this.listeners.push(r);
        setTimeout(r, 50);
      });
    }
  }

  diagnosticsFor(uri: string, from = 0) {
    return this.next(from, (m) => m.method === 'textDocument/publishDiagnostics' && m.params.uri === uri);
  }
}

const uriOf = (name: string) => pathToFileURL(join(root, 'test', name)).href;

/** The 0-based line of the first line of `text` that contains `needle`, and the column of the needle. */
function find(text: string, needle: string, nth = 0): { line: number; character: number } {
  const lines = text.split('\n');
  let seen = 0;
  for (const [line, l] of lines.entries()) {
    const character = l.indexOf(needle);
    if (character >= 0 && seen++ === nth) return { line, character };
  }
  throw new Error(`no ${needle}`);
}

const hoverText = (h: any): string => h.contents.value as string;

describe('effnet lsp over JSON-RPC', () => {
  let client: Client;
  const b0 = uriOf('efficientnet.effnet');

  beforeAll(async () => {
    client = new Client();
    const init = await client.request('initialize', { processId: null, rootUri: null, capabilities: {} });
    expect(init.capabilities).toMatchObject({
      hoverProvider: true,
      definitionProvider: true,
      documentFormattingProvider: true,
      documentSymbolProvider: true,
      completionProvider: { triggerCharacters: [' '] },
    });
    client.notify('initialized', {});
    client.notify('textDocument/didOpen', { textDocument: { uri: b0, languageId: 'effnet', version: 1, text: effnetSpec } });
    // The CLI loads every command's modules before it answers: seconds on a busy machine.
  }, 60_000);

  afterAll(() => {
    if (client.proc.exitCode === null) client.proc.kill();
  });

  it('publishes no diagnostics for a spec that checks clean', async () => {
    const { message } = await client.diagnosticsFor(b0);
    expect(message.params.diagnostics).toEqual([]);
  });

  it('reports a typo with check\'s code, severity and range, and a duplicate with "first defined here"', async () => {
    const uri = uriOf('typo.effnet');
    const text = 'family f {\n  stem conv k3 s2 c32\n  stage mbconvv e1 k3 s1 c16 n1\n  variant a { resolution 224 }\n  variant a { resolution 224 }\n}\n';
    const from = client.notifications.length;
    client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'effnet', version: 1, text } });
    const { message } = await client.diagnosticsFor(uri, from);
    const ds = message.params.diagnostics;
    // The same diagnostics as `check` (1-based there, 0-based here).
    const check = compileSource(text, 'typo.effnet').diagnostics;
    expect(ds.map((d: any) => d.code)).toEqual(check.map((d) => d.code));
    expect(ds.map((d: any) => d.code)).toEqual(['E010', 'E030']);
    expect(ds[0]).toMatchObject({
      severity: 1,
      source: 'effnet',
      range: { start: { line: 2, character: 8 }, end: { line: 2, character: 15 } },
      message: 'unknown block type `mbconvv`\ndid you mean `mbconv`?',
    });
    expect(ds[1].range).toEqual({ start: { line: 4, character: 10 }, end: { line: 4, character: 11 } });
    expect(ds[1].relatedInformation).toEqual([
      { location: { uri, range: { start: { line: 3, character: 10 }, end: { line: 3, character: 11 } } }, message: 'first defined here' },
    ]);

    // The quick fix for the did-you-mean hint edits just the misspelt word.
    const actions = await client.request('textDocument/codeAction', {
      textDocument: { uri },
      range: ds[0].range,
      context: { diagnostics: [ds[0]] },
    });
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ kind: 'quickfix', title: 'Change `mbconvv` to `mbconv`' });
    expect(actions[0].edit.changes[uri]).toEqual([{ range: { start: { line: 2, character: 8 }, end: { line: 2, character: 15 } }, newText: 'mbconv' }]);
    // Applied, the fix leaves only the duplicate.
    const fixed = text.replace('mbconvv', 'mbconv');
    const before = client.notifications.length;
    client.notify('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ range: ds[0].range, text: actions[0].edit.changes[uri][0].newText }] });
    const after = await client.diagnosticsFor(uri, before);
    expect(after.message.params.diagnostics.map((d: any) => d.code)).toEqual(['E030']);
    expect(compileSource(fixed, 'typo.effnet').diagnostics.map((d) => d.code)).toEqual(['E030']);

    // No figures while the spec has errors: the hover says so.
    const h = await client.request('textDocument/hover', { textDocument: { uri }, position: { line: 1, character: 4 } });
    expect(hoverText(h)).toBe('_figures appear once the spec compiles without errors_');
    // A diagnostic without a did-you-mean hint has none.
    expect(await client.request('textDocument/codeAction', { textDocument: { uri }, range: ds[1].range, context: { diagnostics: [ds[1]] } })).toEqual([]);
  });

  it('points a second `compound`, and a value given twice, at the first one: exactly its range, not a word', async () => {
    const uri = uriOf('twice.effnet');
    const text =
      'family f {\n  compound alpha 1.2 beta 1.1 gamma 1.15\n  resolution 224\n  stem conv k3 s2 c32\n  stage mbconv e1 k3 s1 c16 n1 se 0.25 se 0.5\n  compound alpha 1.2 beta 1.1 gamma 1.15\n  variant a { phi 0 }\n}\n';
    const from = client.notifications.length;
    client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'effnet', version: 1, text } });
    const ds = (await client.diagnosticsFor(uri, from)).message.params.diagnostics;
    expect(ds.map((d: any) => `${d.code} ${d.range.start.line}:${d.range.start.character}`)).toEqual(['E013 4:39', 'E013 5:2']);
    // `se 0.25`, the whole first setting (a guess from the hint's line:col would underline `se` alone).
    expect(ds[0].relatedInformation).toEqual([
      { location: { uri, range: { start: { line: 4, character: 31 }, end: { line: 4, character: 38 } } }, message: 'first given here' },
    ]);
    expect(ds[1].relatedInformation).toEqual([
      { location: { uri, range: { start: { line: 1, character: 2 }, end: { line: 1, character: 10 } } }, message: 'first given here' },
    ]);
  });

  it('after a change, diagnostics come once the typing pauses: one compile for a burst of edits', async () => {
    const uri = uriOf('edit.effnet');
    const good = 'family f {\n  stem conv k3 s2 c32\n  stage mbconv e1 k3 s1 c16 n1\n  variant a { resolution 224 }\n}\n';
    let from = client.notifications.length;
    client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'effnet', version: 1, text: good } });
    expect((await client.diagnosticsFor(uri, from)).message.params.diagnostics).toEqual([]);
    from = client.notifications.length;
    const sent = performance.now();
    // Three keystrokes 20 ms apart, stopping at `sil`: an unknown activation.
    for (const [version, act] of [[2, 's'], [3, 'si'], [4, 'sil']] as const) {
      const text = good.replace('c16 n1', `c16 n1 act ${act}`);
      client.notify('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
      await new Promise((r) => setTimeout(r, 20));
    }
    const got = await client.diagnosticsFor(uri, from);
    const elapsed = got.at - sent;
    // Debounced (not sent at the first keystroke), within a debounce and a compile of the last one.
    expect(elapsed).toBeGreaterThanOrEqual(200);
    expect(elapsed).toBeLessThan(3000);
    expect(got.message.params.version).toBe(4);
    expect(got.message.params.diagnostics.map((d: any) => [d.code, d.message])).toEqual([['E011', 'unknown activation `sil`\ndid you mean `silu`?']]);
    expect(got.message.params.diagnostics[0].range).toEqual({ start: { line: 2, character: 35 }, end: { line: 2, character: 38 } });
    await new Promise((r) => setTimeout(r, 400));
    expect(client.notifications.slice(from).filter((n) => n.message.params?.uri === uri)).toHaveLength(1);
  });

  it('hover on b0 stage lines: output shape, exact params and MACs', async () => {
    const stage2 = await client.request('textDocument/hover', { textDocument: { uri: b0 }, position: find(effnetSpec, 'stage mbconv e6 k3 s2 c24') });
    const text = hoverText(stage2);
    expect(text).toContain('**stage 2** of variant `b0` at 224×224');
    expect(text).toContain('output **24×56×56** · params **16,714** · MACs **54,945,216**');
    expect(text).toContain('_Figures for `b0`, the first variant');
    // Its layers: two blocks of expand, depthwise, SE and project.
    expect(text).toContain('| features.2.0.block.1 | depthwise | 96×56×56 | 3 | 2 | 1,056 | 2,709,504 |');
    expect(text).toContain('| features.2.1.block.3 | project | 24×56×56 | 1 | 1 | 3,504 | 10,838,016 |');
    expect(stage2.range).toEqual({ start: { line: find(effnetSpec, 'stage mbconv e6 k3 s2 c24').line, character: 2 }, end: { line: find(effnetSpec, 'stage mbconv e6 k3 s2 c24').line, character: 39 } });

    // Anywhere on the line, the indentation included.
    const { line } = find(effnetSpec, 'stage mbconv e6 k5 s2 c40');
    const stage3 = hoverText(await client.request('textDocument/hover', { textDocument: { uri: b0 }, position: { line, character: 0 } }));
    expect(stage3).toContain('output **40×28×28** · params **46,640** · MACs **37,939,584**');

    const stem = hoverText(await client.request('textDocument/hover', { textDocument: { uri: b0 }, position: find(effnetSpec, 'stem') }));
    expect(stem).toContain('output **32×112×112** · params **928** · MACs **10,838,016**');
    const head = hoverText(await client.request('textDocument/hover', { textDocument: { uri: b0 }, position: find(effnetSpec, 'head') }));
    expect(head).toContain('output **1280×7×7**');
    const classifier = hoverText(await client.request('textDocument/hover', { textDocument: { uri: b0 }, position: find(effnetSpec, 'classifier') }));
    expect(classifier).toContain('output **1000×1×1** · params **1,281,000** · MACs **1,280,000**');
  });

  it('hover on a variant line: its row of the report table', async () => {
    const b1 = hoverText(await client.request('textDocument/hover', { textDocument: { uri: b0 }, position: find(effnetSpec, 'variant b1') }));
    expect(b1).toContain('| b1 | 240 | 1.0 | 1.1 | 7,794,184 |');
    expect(b1).toContain('params 7,794,184');
    // Not a setting line: nothing.
    expect(await client.request('textDocument/hover', { textDocument: { uri: b0 }, position: find(effnetSpec, 'padding') })).toBeNull();
  });

  it('hover inside a variant block shows that variant, even one with its own stage table', async () => {
    const uri = uriOf('variants.effnet');
    const text = [
      'family f {',
      '  stem conv k3 s2 c32',
      '  stage mbconv e1 k3 s1 c16 n1',
      '  stage mbconv e6 k3 s2 c24 n2',
      '  variant a { resolution 224 }',
      '  variant wide {',
      '    width 2.0',
      '    resolution 128',
      '    stage mbconv e1 k3 s1 c16 n1',
      '    stage mbconv e4 k5 s2 c40 n3',
      '  }',
      '}',
      '',
    ].join('\n');
    const from = client.notifications.length;
    client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'effnet', version: 1, text } });
    expect((await client.diagnosticsFor(uri, from)).message.params.diagnostics).toEqual([]);
    const c = compileSource(text, 'variants.effnet');
    const wide = c.graphs.find((g) => g.variant === 'wide')!;
    const h = hoverText(await client.request('textDocument/hover', { textDocument: { uri }, position: { line: 9, character: 6 } }));
    expect(h).toContain('**stage 2** of variant `wide` at 128×128');
    // width 2.0: c40 becomes 80; 128 / 4 = 32.
    expect(h).toContain('`mbconv k5 s2 e4 c80 n3 act silu` → output **80×32×32**');
    const stage = wide.stages[1]!;
    const sum = (k: 'params' | 'macs') => stage.blocks.flatMap((b) => b.layers).reduce((a, l) => a + l[k], 0);
    expect(stage.outShape).toEqual([80, 32, 32]);
    expect(h).toContain(`params **${sum('params').toLocaleString('en-US')}** · MACs **${sum('macs').toLocaleString('en-US')}**`);
    expect(h).not.toContain('first variant');
    // The family's second stage line is not built by `wide`: its default is `a`.
    const family = hoverText(await client.request('textDocument/hover', { textDocument: { uri }, position: { line: 3, character: 4 } }));
    expect(family).toContain('**stage 2** of variant `a` at 224×224');
  });

  it('completes statements, block kinds, attributes and values', async () => {
    const uri = uriOf('complete.effnet');
    const text = 'family f {\n  stage \n  stage mbconv k3 \n  activation \n  padding \n  variant a {\n    \n  }\n  variant b { width 1.0 \n}\n';
    client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'effnet', version: 1, text } });
    const labels = async (line: number, character: number) =>
      ((await client.request('textDocument/completion', { textDocument: { uri }, position: { line, character } })) as { label: string }[]).map((i) => i.label);
    expect(await labels(1, 8)).toEqual(['mbconv', 'fused_mbconv', 'edge_residual', 'ds_conv', 'dsa', 'conv']);
    const attrs = await labels(2, 18);
    expect(attrs).toEqual(expect.arrayContaining(['s', 'e', 'c', 'n', 'se', 'act', 'mid', 'fixed_depth']));
    expect(attrs).not.toContain('k');
    expect(await labels(3, 13)).toEqual(['relu', 'relu6', 'silu', 'hardswish', 'hardsigmoid', 'sigmoid', 'gelu', 'identity']);
    expect(await labels(4, 10)).toEqual(['symmetric', 'same']);
    const family = await labels(1, 2);
    expect(family).toEqual(expect.arrayContaining(['stage', 'stem', 'variant', 'compound']));
    expect(family).not.toContain('phi');
    const variant = await labels(6, 4);
    expect(variant).toEqual(expect.arrayContaining(['width', 'phi', 'stage', 'norm']));
    expect(variant).not.toContain('compound');
    // After a complete statement on a variant's line, the next statement.
    const oneLine = await labels(8, 24);
    expect(oneLine).toEqual(expect.arrayContaining(['resolution', 'dropout', 'norm']));
    expect(oneLine).not.toContain('compound');
  });

  it('goes from a variant override to the family setting it overrides', async () => {
    const at = find(effnetSpec, 'norm eps 1e-3');
    const locations = await client.request('textDocument/definition', { textDocument: { uri: b0 }, position: { line: at.line, character: at.character + 1 } });
    const norm = find(effnetSpec, 'norm batch');
    expect(locations).toEqual([{ uri: b0, range: { start: norm, end: { line: norm.line, character: norm.character + 'norm batch eps 1e-5 momentum 0.1'.length } } }]);
    const res = find(effnetSpec, 'resolution 240');
    const base = find(effnetSpec, 'resolution 224', 0);
    expect(await client.request('textDocument/definition', { textDocument: { uri: b0 }, position: res })).toEqual([
      { uri: b0, range: { start: base, end: { line: base.line, character: base.character + 'resolution 224'.length } } },
    ]);
    // A family statement overrides nothing.
    expect(await client.request('textDocument/definition', { textDocument: { uri: b0 }, position: norm })).toBeNull();
  });

  it('formats with the fmt printer, and leaves a formatted spec alone', async () => {
    const uri = uriOf('messy.effnet');
    const text = 'family   f {\n stem conv k3 s2 c32\n      stage mbconv e1 k3 s1 c16 n1\n  stage mbconv e6 k3 s2 c24 n2\n variant a { resolution 224 }\n}';
    client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'effnet', version: 1, text } });
    const edits = await client.request('textDocument/formatting', { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } });
    const formatted = formatSpec(text, 'messy.effnet');
    expect(formatted.ok).toBe(true);
    expect(edits).toEqual([{ range: { start: { line: 0, character: 0 }, end: { line: 5, character: 1 } }, newText: (formatted as { text: string }).text }]);
    expect(await client.request('textDocument/formatting', { textDocument: { uri: b0 }, options: { tabSize: 2, insertSpaces: true } })).toEqual([]);
  });

  it('lists the family, its stages and its variants as symbols', async () => {
    const [family] = await client.request('textDocument/documentSymbol', { textDocument: { uri: b0 } });
    expect(family.name).toBe('efficientnet');
    expect(family.children.map((s: { name: string }) => s.name)).toEqual([
      'stem', 'stage 1', 'stage 2', 'stage 3', 'stage 4', 'stage 5', 'stage 6', 'stage 7', 'head', 'classifier',
      'b0', 'b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7', 'b8', 'l2',
    ]);
    expect(family.children[2]).toMatchObject({ detail: 'stage mbconv e6 k3 s2 c24  n2 se 0.25', selectionRange: { start: find(effnetSpec, 'stage mbconv e6 k3 s2') } });
  });

  it('shuts down and exits 0 on the client\'s exit', async () => {
    const exited = new Promise<number | null>((r) => client.proc.on('exit', (code) => r(code)));
    expect(await client.request('shutdown', null)).toBeNull();
    client.notify('exit', null);
    expect(await exited).toBe(0);
  });
});
