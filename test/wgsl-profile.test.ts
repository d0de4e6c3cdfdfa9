/// <reference types="@webgpu/types" />
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelMetadata } from '../src/cost/metadata.js';
import { modelNetwork, modelSpec } from '../src/graph/model-spec.js';
import { createWgslModel, loadWgslWeights } from '../src/runtime/wgsl.js';
import { profileDispatches, type ProfiledStep } from '../src/runtime/wgsl-profile.js';
import { dawnDevice } from '../src/wgsl/dawn.js';
import { graphOf, root } from './support/tfjs.js';

// profile(): GPU timestamps, one pass per dispatch in one submit, where the device has
// `timestamp-query`; host time around each dispatch's own submit where it does not.

/** A device that records what is encoded and submitted; its timestamps are the ones given. */
function fakeDevice(features: string[], timestampsNs: bigint[] = []) {
  const log: string[] = [];
  let submits = 0;
  const device = {
    features: new Set(features),
    createQuerySet: ({ type, count }: GPUQuerySetDescriptor) => (log.push(`querySet ${type} ${count}`), { destroy: () => log.push('destroy querySet') }),
    createBuffer: ({ size }: GPUBufferDescriptor) => ({
      mapAsync: async () => undefined,
      getMappedRange: () => new BigUint64Array(timestampsNs).buffer.slice(0, size),
      unmap() {},
      destroy() {},
    }),
    createCommandEncoder: () => ({
      beginComputePass: (d?: GPUComputePassDescriptor) => {
        const w = d?.timestampWrites;
        log.push(w ? `pass ${w.beginningOfPassWriteIndex}-${w.endOfPassWriteIndex}` : 'pass');
        return { dispatchWorkgroups: (x: number) => log.push(`dispatch ${x}`), end() {} };
      },
      resolveQuerySet: (_: unknown, first: number, count: number) => log.push(`resolve ${first} ${count}`),
      copyBufferToBuffer() {},
      finish: () => ({}),
    }),
    queue: { submit: () => void submits++, onSubmittedWorkDone: async () => undefined },
  };
  return { device: device as unknown as GPUDevice, log, submits: () => submits };
}

const steps: ProfiledStep[] = [1, 2, 3].map((x) => ({ layer: `features.${x}`, kind: 'pointwise', encode: (pass) => pass.dispatchWorkgroups(x) }));

describe('profileDispatches', () => {
  it('with timestamp-query: one submit, a pass per dispatch with its own begin/end writes, GPU milliseconds', async () => {
    const { device, log, submits } = fakeDevice(['timestamp-query'], [1_000n, 501_000n, 600_000n, 2_600_000n, 3_000_000n, 3_250_000n]);
    const times = await profileDispatches(device, steps);
    expect(submits()).toBe(1);
    expect(log).toEqual(['querySet timestamp 6', 'pass 0-1', 'dispatch 1', 'pass 2-3', 'dispatch 2', 'pass 4-5', 'dispatch 3', 'resolve 0 6', 'destroy querySet']);
    expect(times).toEqual([
      { layer: 'features.1', kind: 'pointwise', ms: 0.5, timing: 'gpu' },
      { layer: 'features.2', kind: 'pointwise', ms: 2, timing: 'gpu' },
      { layer: 'features.3', kind: 'pointwise', ms: 0.25, timing: 'gpu' },
    ]);
  });

  it('without it: one submit per dispatch, timed on the host', async () => {
    const { device, log, submits } = fakeDevice([]);
    const times = await profileDispatches(device, steps);
    expect(submits()).toBe(3);
    expect(log).toEqual(['pass', 'dispatch 1', 'pass', 'dispatch 2', 'pass', 'dispatch 3']);
    expect(times.map((t) => [t.layer, t.timing])).toEqual([
      ['features.1', 'host'],
      ['features.2', 'host'],
      ['features.3', 'host'],
    ]);
    for (const t of times) expect(t.ms).toBeGreaterThanOrEqual(0);
  });
});

describe('a model on Dawn', () => {
  let dawn: Awaited<ReturnType<typeof dawnDevice>>;
  beforeAll(async () => {
    dawn = await dawnDevice('opengles');
  });
  afterAll(() => dawn?.device.destroy());

  it('profile() times every dispatch of the narrow fixture, by the timing the device offers', async () => {
    const g = graphOf('test/fixtures/narrow/narrow.effnet', 'narrow');
    const network = modelNetwork(modelSpec(g));
    const meta = modelMetadata(g);
    const model = await createWgslModel(dawn.device, network, meta, loadWgslWeights(network, meta, readFileSync(join(root, 'test/fixtures/narrow/weights.safetensors'))));
    try {
      await model.run(new Float32Array(64 * 64 * 3).fill(0.5), 1);
      const times = await model.profile();
      expect(times).toHaveLength(model.dispatches);
      expect(model.dispatches).toBe(53);
      expect(times[0]!.layer).toBe('features.0');
      const timing = dawn.device.features.has('timestamp-query') ? 'gpu' : 'host';
      for (const t of times) {
        expect(t.timing).toBe(timing);
        expect(Number.isFinite(t.ms) && t.ms >= 0).toBe(true);
      }
    } finally {
      model.dispose();
    }
  });
});
