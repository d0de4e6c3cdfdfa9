import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectedTensors } from '../src/weights/layout.js';
import { graphOf, root } from './support/tfjs.js';

// Every torchvision family effnet ships names its layers as torchvision's
// state_dict does, tensor by tensor and in order (torchvision 0.14.1's
// models, listed by scripts/fixtures/state_dict_names.py), so torchvision
// checkpoints load into the generated tfjs and WGSL models as they are.

const reference = JSON.parse(readFileSync(join(root, 'test/fixtures/torchvision-state-dicts.json'), 'utf8')) as Record<string, [string, number[]][]>;
const cases: [string, string, string][] = [
  ['efficientnet_b0', 'specs/efficientnet.effnet', 'b0'],
  ['efficientnet_v2_s', 'specs/efficientnet_v2.effnet', 's'],
  ['mobilenet_v2', 'specs/mobilenet_v2.effnet', 'w1_0'],
  ['mobilenet_v3_large', 'specs/mobilenet_v3.effnet', 'large'],
  ['mobilenet_v3_small', 'specs/mobilenet_v3.effnet', 'small'],
];

describe('torchvision checkpoint names', () => {
  for (const [model, spec, variant] of cases) {
    it(`${spec}#${variant} = torchvision ${model}`, () => {
      const ours = expectedTensors(graphOf(spec, variant), 'torchvision').map((t) => [t.name, t.shape]);
      expect(ours).toEqual(reference[model]);
    });
  }

  it('MobileNetV2 keeps its project conv and BatchNorm apart; V3 numbers blocks across the network', () => {
    const v2 = expectedTensors(graphOf('specs/mobilenet_v2.effnet', 'w1_0'), 'torchvision').map((t) => t.name);
    expect(v2).toEqual(expect.arrayContaining(['features.2.conv.2.weight', 'features.2.conv.3.running_var', 'features.18.0.weight', 'classifier.1.weight']));
    const v3 = expectedTensors(graphOf('specs/mobilenet_v3.effnet', 'small'), 'torchvision').map((t) => t.name);
    expect(v3).toEqual(expect.arrayContaining(['features.1.block.1.fc1.weight', 'features.12.0.weight', 'classifier.3.bias']));
  });

  it('the timm layout is refused for MobileNets, whose timm models differ beyond names', () => {
    expect(() => expectedTensors(graphOf('specs/mobilenet_v3.effnet', 'large'), 'timm')).toThrow(/layer `features\.0` has no timm counterpart; use the torchvision layout/);
  });
});
