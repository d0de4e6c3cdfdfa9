import type { BlockKind } from './kind.js';

export const conv = {
  name: 'conv' as const,
  aliases: ['cn'],
  doc: 'One k×k conv in→C with the stride + act (timm `ConvBnAct`); a layer, not a residual block, unless `skip on`.',
  takes: ['groups', 'group_size', 'dilation'],
  notTaken: 'a `conv` block is one k×k convolution with norm and activation',
  defaultSkip: 'off',
  expands: false,
  layers(b, make) {
    const c = b.config;
    make.conv('conv', c.channels, { kernels: c.kernels, stride: b.stride, act: c.act, spatial: true });
  },
  timm: () => ['conv', 'bn1'],
} satisfies BlockKind;
